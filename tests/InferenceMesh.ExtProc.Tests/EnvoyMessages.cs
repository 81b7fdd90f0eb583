using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>ProcessingRequests shaped like the ones Envoy's ext_proc filter sends.</summary>
internal static class EnvoyMessages
{
    public static ProcessingRequest RequestHeaders(
        bool endOfStream,
        ProcessingMode.Types.BodySendMode mode = ProcessingMode.Types.BodySendMode.FullDuplexStreamed,
        string path = "/v1/completions",
        string method = "POST",
        IEnumerable<(string Key, string Value)>? extra = null,
        Value? subset = null,
        long? contentLength = null)
    {
        var map = new HeaderMap();
        map.Headers.Add(Header(":method", method));
        map.Headers.Add(Header(":path", path));
        map.Headers.Add(Header(":authority", "gateway.local"));
        map.Headers.Add(Header(":scheme", "http"));
        map.Headers.Add(Header("content-type", "application/json"));
        if (contentLength is { } cl)
            map.Headers.Add(Header("content-length", cl.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        map.Headers.Add(Header("x-request-id", "req-1"));
        if (extra is not null)
        {
            foreach (var (k, v) in extra)
                map.Headers.Add(Header(k, v));
        }
        var request = new ProcessingRequest
        {
            RequestHeaders = new HttpHeaders { Headers = map, EndOfStream = endOfStream },
            ProtocolConfig = new ProtocolConfiguration { RequestBodyMode = mode, ResponseBodyMode = mode },
        };
        if (subset is not null)
        {
            var ns = new Struct();
            ns.Fields[HeaderNames.DestinationEndpointSubset] = subset;
            request.MetadataContext = new Metadata();
            request.MetadataContext.FilterMetadata[HeaderNames.SubsetHintNamespace] = ns;
        }
        return request;
    }

    public static HeaderValue Header(string key, string value) => new() { Key = key, RawValue = ByteString.CopyFromUtf8(value) };

    public static ProcessingRequest RequestBody(ReadOnlySpan<byte> chunk, bool endOfStream) =>
        new() { RequestBody = new HttpBody { Body = ByteString.CopyFrom(chunk), EndOfStream = endOfStream } };

    public static IEnumerable<ProcessingRequest> RequestBodyChunks(byte[] body, int chunkSize)
    {
        for (var i = 0; i < body.Length; i += chunkSize)
        {
            var n = Math.Min(chunkSize, body.Length - i);
            yield return RequestBody(body.AsSpan(i, n), i + n >= body.Length);
        }
    }

    public static ProcessingRequest ResponseHeaders(int status, string contentType, bool endOfStream = false)
    {
        var map = new HeaderMap();
        map.Headers.Add(Header(":status", status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        map.Headers.Add(Header("content-type", contentType));
        return new ProcessingRequest { ResponseHeaders = new HttpHeaders { Headers = map, EndOfStream = endOfStream } };
    }

    public static ProcessingRequest ResponseBody(string chunk, bool endOfStream) =>
        new() { ResponseBody = new HttpBody { Body = ByteString.CopyFromUtf8(chunk), EndOfStream = endOfStream } };

    public static byte[] CompletionBody(string model, int promptChars, bool stream = false)
    {
        var prompt = new StringBuilder(promptChars);
        for (var i = 0; prompt.Length < promptChars; i++)
            prompt.Append("word").Append(i % 97).Append(' ');
        return Encoding.UTF8.GetBytes($$"""{"model":"{{model}}","prompt":"{{prompt.ToString(0, promptChars)}}","max_tokens":16,"stream":{{(stream ? "true" : "false")}}}""");
    }

    public static string HeaderValue(HeaderMutation mutation, string key)
    {
        foreach (var h in mutation.SetHeaders)
        {
            if (h.Header.Key == key)
                return h.Header.Text();
        }
        return "";
    }
}
