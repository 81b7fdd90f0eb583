using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.Gateway;

/// <summary>Plays Envoy's first ext_proc filter, the body-based router, in FULL_DUPLEX_STREAMED mode: the request's headers
/// and body go to the router, its header mutation is applied to the request (so route selection sees
/// <c>X-Gateway-Model-Name</c>), and the body it streams back replaces the request body for the next filter.</summary>
internal sealed class BodyRoutingCall
{
    private const string Peer = "body router";

    private readonly ExternalProcessor.ExternalProcessorClient _client;
    private readonly int _chunkBytes;

    public BodyRoutingCall(ExternalProcessor.ExternalProcessorClient client, int chunkBytes)
    {
        _client = client;
        _chunkBytes = chunkBytes;
    }

    /// <summary>False when the router answered the request itself (an ImmediateResponse, already written).</summary>
    public async Task<bool> RunAsync(HttpContext context, CancellationToken ct)
    {
        var request = context.Request;
        var hasBody = request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        using var call = _client.Process(cancellationToken: ct);
        await call.RequestStream.WriteAsync(GatewayMessages.RouterRequestHeaders(request, endOfStream: !hasBody), ct).ConfigureAwait(false);
        var pump = hasBody ? ExtProcCalls.PumpBodyAsync(request.BodyReader, call.RequestStream, isRequest: true, _chunkBytes, ct) : Task.CompletedTask;

        var answer = await ExtProcCalls.NextAsync(call.ResponseStream, Peer, ct).ConfigureAwait(false);
        if (answer.ResponseCase == ProcessingResponse.ResponseOneofCase.ImmediateResponse)
        {
            // The router may have ended the call while body chunks were still being written; that failure is expected.
            _ = pump.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            await GatewayResponses.WriteImmediateAsync(context, answer.ImmediateResponse, ct).ConfigureAwait(false);
            return false;
        }
        ExtProcCalls.Expect(answer, ProcessingResponse.ResponseOneofCase.RequestHeaders, Peer);
        var headers = new IncomingRequestHeaders(request);
        HeaderMutations.Apply(answer.RequestHeaders.Response?.HeaderMutation, ref headers, setsHopByHop: false);

        if (hasBody)
        {
            var body = new MemoryStream();
            while (true)
            {
                var r = await ExtProcCalls.NextAsync(call.ResponseStream, Peer, ct).ConfigureAwait(false);
                var streamed = ExtProcCalls.Streamed(r.RequestBody, Peer);
                body.Write(streamed.Body.Span);
                if (streamed.EndOfStream)
                    break;
            }
            await pump.ConfigureAwait(false);
            body.Position = 0;
            request.Body = body;
            request.ContentLength = body.Length;
            request.Headers.TransferEncoding = default;
        }
        // Half-close and read to the end, so the router's call ends with OK instead of being reset.
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(ct).ConfigureAwait(false))
        {
        }
        return true;
    }
}
