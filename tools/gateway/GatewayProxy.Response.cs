using System.IO.Pipelines;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using Call = Grpc.Core.AsyncDuplexStreamingCall<InferenceMesh.Grpc.Envoy.Service.ExtProc.V3.ProcessingRequest, InferenceMesh.Grpc.Envoy.Service.ExtProc.V3.ProcessingResponse>;

namespace InferenceMesh.Gateway;

internal sealed partial class GatewayProxy
{
    /// <summary>The response leg: the upstream's headers and body through the picker to the client.</summary>
    private async Task ProxyResponseAsync(HttpContext context, Call call, HttpResponseMessage upstream, string destination, CancellationToken ct)
    {
        var noBody = upstream.Content.Headers.ContentLength == 0 || HttpMethods.IsHead(context.Request.Method);
        await call.RequestStream.WriteAsync(GatewayMessages.ResponseHeaders(upstream, noBody), ct).ConfigureAwait(false);
        var answer = await ExtProcCalls.NextAsync(call.ResponseStream, Peer, ct).ConfigureAwait(false);
        if (answer.ResponseCase == ProcessingResponse.ResponseOneofCase.ImmediateResponse)
        {
            await GatewayResponses.WriteImmediateAsync(context, answer.ImmediateResponse, ct).ConfigureAwait(false);
            return;
        }
        ExtProcCalls.Expect(answer, ProcessingResponse.ResponseOneofCase.ResponseHeaders, Peer);

        var response = context.Response;
        response.StatusCode = (int)upstream.StatusCode;
        CopyHeaders(upstream.Headers, response.Headers);
        CopyHeaders(upstream.Content.Headers, response.Headers);
        if (upstream.Content.Headers.ContentLength is { } length)
            response.ContentLength = length;
        var headers = new ResponseHeaders(response);
        HeaderMutations.Apply(answer.ResponseHeaders.Response?.HeaderMutation, ref headers, setsHopByHop: true);
        response.Headers[GatewayHeaders.ServedBy] = destination;

        if (noBody)
        {
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await ExtProcCalls.DrainAsync(call.ResponseStream, Peer, ct).ConfigureAwait(false);
            return;
        }
        await response.StartAsync(ct).ConfigureAwait(false);
        var body = await upstream.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var pump = ExtProcCalls.PumpBodyAsync(PipeReader.Create(body), call.RequestStream, isRequest: false, _options.BodyChunkBytes, ct);
        while (true)
        {
            var r = await ExtProcCalls.NextAsync(call.ResponseStream, Peer, ct).ConfigureAwait(false);
            ExtProcCalls.Expect(r, ProcessingResponse.ResponseOneofCase.ResponseBody, Peer);
            var streamed = ExtProcCalls.Streamed(r.ResponseBody, Peer);
            if (!streamed.Body.IsEmpty)
            {
                await response.Body.WriteAsync(streamed.Body.Memory, ct).ConfigureAwait(false);
                await response.Body.FlushAsync(ct).ConfigureAwait(false);
            }
            if (streamed.EndOfStream)
                break;
        }
        await pump.ConfigureAwait(false);
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        await ExtProcCalls.DrainAsync(call.ResponseStream, Peer, ct).ConfigureAwait(false);
    }

    private static void CopyHeaders(System.Net.Http.Headers.HttpHeaders from, IHeaderDictionary to)
    {
        foreach (var h in from)
        {
            if (!GatewayHeaders.HopByHop.Contains(h.Key))
                to[h.Key] = h.Value.ToArray();
        }
    }
}
