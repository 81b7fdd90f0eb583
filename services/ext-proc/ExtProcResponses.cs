using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Type.V3;

namespace InferenceMesh.ExtProc;

/// <summary>Builders for the ProcessingResponse shapes the picker sends.</summary>
internal static class ExtProcResponses
{
    public static HeaderValueOption SetHeader(string key, string value) => new()
    {
        Header = new HeaderValue { Key = key, RawValue = ByteString.CopyFromUtf8(value) },
        AppendAction = HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd,
    };

    /// <summary>The routing decision: destination header + clear_route_cache (+ content-length when the body changed).</summary>
    public static CommonResponse Routing(string destination, string? requestId, long? contentLength)
    {
        var mutation = new HeaderMutation();
        mutation.SetHeaders.Add(SetHeader(HeaderNames.DestinationEndpoint, destination));
        if (requestId is not null)
            mutation.SetHeaders.Add(SetHeader(HeaderNames.RequestId, requestId));
        if (contentLength is { } length)
            mutation.SetHeaders.Add(SetHeader("content-length", length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return new CommonResponse { ClearRouteCache = true, HeaderMutation = mutation };
    }

    /// <summary><c>{"envoy.lb": {"x-gateway-destination-endpoint": destination}}</c>.</summary>
    public static Struct LbMetadata(string destination)
    {
        var inner = new Struct();
        inner.Fields[HeaderNames.DestinationEndpoint] = Value.ForString(destination);
        var outer = new Struct();
        outer.Fields[HeaderNames.EnvoyLbNamespace] = Value.ForStruct(inner);
        return outer;
    }

    public static ProcessingResponse StreamedChunk(bool request, ByteString body, bool endOfStream)
    {
        var common = new CommonResponse
        {
            BodyMutation = new BodyMutation { StreamedResponse = new StreamedBodyResponse { Body = body, EndOfStream = endOfStream } },
        };
        return request
            ? new ProcessingResponse { RequestBody = new BodyResponse { Response = common } }
            : new ProcessingResponse { ResponseBody = new BodyResponse { Response = common } };
    }

    /// <summary>STREAMED mode's answer to a held-back chunk: clear it (the whole body goes out with the decision).</summary>
    public static ProcessingResponse ClearedBodyChunk() => new()
    {
        RequestBody = new BodyResponse { Response = new CommonResponse { BodyMutation = new BodyMutation { ClearBodyFlag = true } } },
    };

    /// <summary>An ImmediateResponse with body <c>inference error: &lt;Code&gt; - &lt;message&gt;</c>, or OpenAI's JSON error
    /// shape when <see cref="Rejection.OpenAiShape"/> is set.</summary>
    public static ProcessingResponse Error(Rejection rejection)
    {
        var (status, code, message, openAi) = rejection;
        var headers = new HeaderMutation();
        headers.SetHeaders.Add(SetHeader("content-type", openAi ? "application/json" : "text/plain; charset=utf-8"));
        return new ProcessingResponse
        {
            ImmediateResponse = new ImmediateResponse
            {
                Status = new HttpStatus { Code = (StatusCode)status },
                Headers = headers,
                Body = openAi ? OpenAiErrorBody(code, message) : ByteString.CopyFromUtf8($"inference error: {code} - {message}"),
                Details = code,
            },
        };
    }

    /// <summary><c>{"error":{"message":…,"type":"invalid_request_error","param":"model","code":…}}</c> as OpenAI answers an unknown model.</summary>
    private static ByteString OpenAiErrorBody(string code, string message)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new System.Text.Json.Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", message);
            json.WriteString("type", "invalid_request_error");
            json.WriteString("param", "model");
            json.WriteString("code", code);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return ByteString.CopyFrom(output.WrittenSpan);
    }
}
