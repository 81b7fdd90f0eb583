using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using HttpHeaders = InferenceMesh.Grpc.Envoy.Service.ExtProc.V3.HttpHeaders;

namespace InferenceMesh.Gateway;

/// <summary>ext_proc messages the gateway's filters send (the body router and the Endpoint Picker), as Envoy builds them.</summary>
internal static class GatewayMessages
{
    /// <summary>The request's headers as Envoy sends them: pseudo-headers first, names lower-case, values in raw_value;
    /// <paramref name="requestId"/>, when given, replaces the client's <c>x-request-id</c>.</summary>
    public static HeaderMap RequestHeaderMap(HttpRequest request, string? requestId)
    {
        var map = new HeaderMap();
        map.Headers.Add(Raw(":method", request.Method));
        map.Headers.Add(Raw(":path", request.Path.Value + request.QueryString.Value));
        map.Headers.Add(Raw(":authority", request.Host.Value ?? ""));
        map.Headers.Add(Raw(":scheme", request.Scheme));
        foreach (var (key, values) in request.Headers)
        {
            if (string.Equals(key, "host", StringComparison.OrdinalIgnoreCase)
                || (requestId is not null && string.Equals(key, HeaderNames.RequestId, StringComparison.OrdinalIgnoreCase)))
                continue;
            foreach (var v in values)
                map.Headers.Add(Raw(key.ToLowerInvariant(), v ?? ""));
        }
        if (requestId is not null)
            map.Headers.Add(Raw(HeaderNames.RequestId, requestId));
        return map;
    }

    /// <summary>The picker's first message: request headers, both bodies FULL_DUPLEX_STREAMED, and the optional subset
    /// hint (comma-separated "ip:port" list) as <c>envoy.lb.subset_hint</c> metadata.</summary>
    public static ProcessingRequest PickerRequestHeaders(HttpRequest request, string requestId, bool endOfStream, string? subsetHint)
    {
        var message = new ProcessingRequest
        {
            RequestHeaders = new HttpHeaders { Headers = RequestHeaderMap(request, requestId), EndOfStream = endOfStream },
            ProtocolConfig = new ProtocolConfiguration
            {
                RequestBodyMode = ProcessingMode.Types.BodySendMode.FullDuplexStreamed,
                ResponseBodyMode = ProcessingMode.Types.BodySendMode.FullDuplexStreamed,
            },
            MetadataContext = new Metadata(),
        };
        if (!string.IsNullOrWhiteSpace(subsetHint))
        {
            var entries = subsetHint.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var values = new Value[entries.Length];
            for (var i = 0; i < entries.Length; i++)
                values[i] = Value.ForString(entries[i]);
            var ns = new Struct();
            ns.Fields[HeaderNames.DestinationEndpointSubset] = Value.ForList(values);
            message.MetadataContext.FilterMetadata[HeaderNames.SubsetHintNamespace] = ns;
        }
        return message;
    }

    /// <summary>The body router's first message: request headers, the request body FULL_DUPLEX_STREAMED.</summary>
    public static ProcessingRequest RouterRequestHeaders(HttpRequest request, bool endOfStream) => new()
    {
        RequestHeaders = new HttpHeaders { Headers = RequestHeaderMap(request, null), EndOfStream = endOfStream },
        ProtocolConfig = new ProtocolConfiguration { RequestBodyMode = ProcessingMode.Types.BodySendMode.FullDuplexStreamed },
    };

    /// <summary>The upstream response's status and headers (its content headers included).</summary>
    public static ProcessingRequest ResponseHeaders(HttpResponseMessage upstream, bool endOfStream)
    {
        var map = new HeaderMap();
        map.Headers.Add(Raw(":status", ((int)upstream.StatusCode).ToString(CultureInfo.InvariantCulture)));
        foreach (var h in upstream.Headers)
        {
            foreach (var v in h.Value)
                map.Headers.Add(Raw(h.Key.ToLowerInvariant(), v));
        }
        foreach (var h in upstream.Content.Headers)
        {
            foreach (var v in h.Value)
                map.Headers.Add(Raw(h.Key.ToLowerInvariant(), v));
        }
        return new ProcessingRequest { ResponseHeaders = new HttpHeaders { Headers = map, EndOfStream = endOfStream } };
    }

    /// <summary>One chunk of the request (<paramref name="isRequest"/>) or response body.</summary>
    public static ProcessingRequest Body(bool isRequest, ByteString body, bool endOfStream)
    {
        var http = new HttpBody { Body = body, EndOfStream = endOfStream };
        return isRequest ? new ProcessingRequest { RequestBody = http } : new ProcessingRequest { ResponseBody = http };
    }

    public static HeaderValue Raw(string key, string value) => new() { Key = key, RawValue = ByteString.CopyFromUtf8(value) };
}
