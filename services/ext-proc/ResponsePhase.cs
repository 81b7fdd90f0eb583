using Google.Protobuf;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc;

/// <summary>The response half of a stream: reads the status and usage, restores the client's model name when the
/// request's was rewritten, and answers each message as the body mode requires.</summary>
internal sealed class ResponsePhase : IDisposable
{
    private readonly BodyMode _mode;
    private readonly int _maxBuffer;
    private ResponseBodyProcessor? _body;

    public ResponsePhase(BodyMode mode, int maxBuffer)
    {
        _mode = mode;
        _maxBuffer = maxBuffer;
    }

    /// <summary>The upstream <c>:status</c>; 0 before the response headers.</summary>
    public int Status { get; private set; }

    public int PromptTokens => _body?.PromptTokens ?? 0;

    /// <summary>The response is a server-sent event stream (a streamed completion: its first body bytes are its first token).</summary>
    public bool IsEventStream { get; private set; }

    public int CompletionTokens => _body?.CompletionTokens ?? 0;

    /// <summary>Prompt tokens served from the server's prefix cache, from the response's usage; null = not reported.</summary>
    public int? CachedTokens => _body?.CachedTokens;

    /// <summary>The response_headers answer; with a <paramref name="rewriter"/> it drops content-length (the restored
    /// name may differ in length from the served one).</summary>
    public ProcessingResponse OnHeaders(HttpHeaders headers, JsonModelRewriter? rewriter)
    {
        var sse = false;
        if (headers.Headers is { } map)
        {
            foreach (var h in map.Headers)
            {
                if (h.Key == ":status" && int.TryParse(h.Text(), System.Globalization.CultureInfo.InvariantCulture, out var s))
                    Status = s;
                else if (h.Key == "content-type")
                    sse = h.Text().StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
            }
        }
        IsEventStream = sse;
        _body?.Dispose();
        _body = new ResponseBodyProcessor(sse, rewriter, _maxBuffer);
        var common = new CommonResponse();
        if (rewriter is not null && !headers.EndOfStream)
        {
            common.HeaderMutation = new HeaderMutation();
            common.HeaderMutation.RemoveHeaders.Add("content-length");
        }
        return new ProcessingResponse { ResponseHeaders = new HeadersResponse { Response = common } };
    }

    /// <summary>The answer to one response body chunk; null when nothing goes out now (FULL_DUPLEX_STREAMED holding a
    /// partial SSE line or JSON body: every answer in that mode must carry streamed_response, so an empty one is not sent).</summary>
    public ProcessingResponse? OnBody(HttpBody body)
    {
        _body ??= new ResponseBodyProcessor(false, null, _maxBuffer);
        var passThrough = _body.Process(body.Body.Memory, body.EndOfStream, out var output);
        if (_mode == BodyMode.FullDuplex)
        {
            if (output.IsEmpty && !body.EndOfStream)
                return null;
            var bytes = passThrough ? body.Body : UnsafeByteOperations.UnsafeWrap(output);
            return ExtProcResponses.StreamedChunk(false, bytes, body.EndOfStream);
        }
        var common = new CommonResponse();
        if (!passThrough)
            common.BodyMutation = new BodyMutation { Body = UnsafeByteOperations.UnsafeWrap(output) };
        return new ProcessingResponse { ResponseBody = new BodyResponse { Response = common } };
    }

    /// <summary>At response trailers in FULL_DUPLEX_STREAMED: what the rewriter still holds, as a last chunk; else null.</summary>
    public ProcessingResponse? FlushBeforeTrailers()
    {
        if (_body is null || _mode != BodyMode.FullDuplex)
            return null;
        var passThrough = _body.Process(ReadOnlyMemory<byte>.Empty, true, out var output);
        return !passThrough && !output.IsEmpty ? ExtProcResponses.StreamedChunk(false, UnsafeByteOperations.UnsafeWrap(output), false) : null;
    }

    public void Dispose() => _body?.Dispose();
}
