using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using Call = Grpc.Core.AsyncDuplexStreamingCall<InferenceMesh.Grpc.Envoy.Service.ExtProc.V3.ProcessingRequest, InferenceMesh.Grpc.Envoy.Service.ExtProc.V3.ProcessingResponse>;

namespace InferenceMesh.Gateway;

internal sealed partial class GatewayProxy
{
    /// <summary>One attempt: the request through the picker and on to the endpoint it names, then the response leg.
    /// <paramref name="forwarded"/> turns true once the request is answered or sent upstream (no retry after that).</summary>
    private async Task ProxyAsync(HttpContext context, Call call, PipeReader requestBody, StrongBox<bool> forwarded, CancellationToken ct)
    {
        var request = context.Request;
        var hasBody = request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        var requestId = request.Headers[HeaderNames.RequestId].ToString();
        if (requestId.Length == 0)
            requestId = Guid.NewGuid().ToString();

        await call.RequestStream.WriteAsync(GatewayMessages.PickerRequestHeaders(request, requestId, endOfStream: !hasBody, _options.SubsetHint), ct).ConfigureAwait(false);
        var pump = hasBody ? ExtProcCalls.PumpBodyAsync(requestBody, call.RequestStream, isRequest: true, _options.BodyChunkBytes, ct) : Task.CompletedTask;

        var decision = await ExtProcCalls.NextAsync(call.ResponseStream, Peer, ct).ConfigureAwait(false);
        forwarded.Value = true;
        if (decision.ResponseCase == ProcessingResponse.ResponseOneofCase.ImmediateResponse)
        {
            await GatewayResponses.WriteImmediateAsync(context, decision.ImmediateResponse, ct).ConfigureAwait(false);
            return;
        }
        ExtProcCalls.Expect(decision, ProcessingResponse.ResponseOneofCase.RequestHeaders, Peer);
        var mutation = decision.RequestHeaders.Response?.HeaderMutation;
        var destination = PickerDestination.Of(mutation, decision.DynamicMetadata);
        if (destination is null)
        {
            await GatewayResponses.FailAsync(context, StatusCodes.Status503ServiceUnavailable, "no destination endpoint from the picker").ConfigureAwait(false);
            return;
        }

        using var upstreamRequest = new HttpRequestMessage(new HttpMethod(request.Method), new Uri($"http://{destination}{request.Path}{request.QueryString}"))
        {
            Version = HttpVersion.Version11,
        };
        foreach (var (key, values) in request.Headers)
        {
            if (!GatewayHeaders.HopByHop.Contains(key) && !key.StartsWith(':'))
                upstreamRequest.Headers.TryAddWithoutValidation(key, (IEnumerable<string>)values);
        }
        upstreamRequest.Headers.Remove(HeaderNames.RequestId);
        upstreamRequest.Headers.TryAddWithoutValidation(HeaderNames.RequestId, requestId);
        var headers = new UpstreamRequestHeaders(upstreamRequest, request.ContentLength);
        HeaderMutations.Apply(mutation, ref headers, setsHopByHop: false);

        Task<HttpResponseMessage> send;
        if (hasBody)
        {
            var pipe = new Pipe();
            var content = new StreamContent(pipe.Reader.AsStream());
            foreach (var h in request.Headers)
            {
                if (h.Key.StartsWith("content-", StringComparison.OrdinalIgnoreCase) && !HeaderMutations.IsContentLength(h.Key))
                    content.Headers.TryAddWithoutValidation(h.Key, (IEnumerable<string>)h.Value);
            }
            content.Headers.ContentLength = headers.ContentLength;
            upstreamRequest.Content = content;
            send = _upstream.SendAsync(upstreamRequest, ct);
            if (!await ForwardBodyAsync(context, call, pipe.Writer, send, ct).ConfigureAwait(false))
                return;
        }
        else
        {
            send = _upstream.SendAsync(upstreamRequest, ct);
        }
        await pump.ConfigureAwait(false);

        using var upstreamResponse = await send.ConfigureAwait(false);
        await ProxyResponseAsync(context, call, upstreamResponse, destination, ct).ConfigureAwait(false);
    }

    /// <summary>The picker re-streams the (possibly rewritten) body; each chunk is forwarded as it comes. False when the
    /// picker answered the request itself instead (already written).</summary>
    private static async Task<bool> ForwardBodyAsync(HttpContext context, Call call, PipeWriter upstreamBody, Task<HttpResponseMessage> send, CancellationToken ct)
    {
        while (true)
        {
            var r = await ExtProcCalls.NextAsync(call.ResponseStream, Peer, ct).ConfigureAwait(false);
            if (r.ResponseCase == ProcessingResponse.ResponseOneofCase.ImmediateResponse)
            {
                await upstreamBody.CompleteAsync().ConfigureAwait(false);
                await GatewayResponses.WriteImmediateAsync(context, r.ImmediateResponse, ct).ConfigureAwait(false);
                return false;
            }
            ExtProcCalls.Expect(r, ProcessingResponse.ResponseOneofCase.RequestBody, Peer);
            var streamed = ExtProcCalls.Streamed(r.RequestBody, Peer);
            if (!streamed.Body.IsEmpty && !await WriteChunkAsync(upstreamBody, streamed.Body.Memory, send, ct).ConfigureAwait(false))
                break;
            if (streamed.EndOfStream)
                break;
        }
        await upstreamBody.CompleteAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Writes one chunk of the upstream request body; false when the upstream request ended first (a connect
    /// failure surfaces when <paramref name="send"/> is awaited; an early answer stops the body).</summary>
    private static async ValueTask<bool> WriteChunkAsync(PipeWriter writer, ReadOnlyMemory<byte> chunk, Task<HttpResponseMessage> send, CancellationToken ct)
    {
        var write = writer.WriteAsync(chunk, ct);
        if (write.IsCompleted)
            return !write.Result.IsCompleted;
        var pending = write.AsTask();
        if (await Task.WhenAny(pending, send).ConfigureAwait(false) == pending)
            return !(await pending.ConfigureAwait(false)).IsCompleted;
        await send.ConfigureAwait(false);
        return false;
    }
}
