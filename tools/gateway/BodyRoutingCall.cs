using Google.Protobuf;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using HttpHeaders = InferenceMesh.Grpc.Envoy.Service.ExtProc.V3.HttpHeaders;
using RpcException = Grpc.Core.RpcException;
using Status = Grpc.Core.Status;
using StatusCode = Grpc.Core.StatusCode;

namespace InferenceMesh.Gateway;

/// <summary>Plays Envoy's first ext_proc filter, the body-based router, in FULL_DUPLEX_STREAMED mode: the request's headers
/// and body go to the router, its header mutation is applied to the request (so route selection sees
/// <c>X-Gateway-Model-Name</c>), and the body it streams back replaces the request body for the next filter.</summary>
internal sealed class BodyRoutingCall
{
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
        await call.RequestStream.WriteAsync(new ProcessingRequest
        {
            RequestHeaders = new HttpHeaders { Headers = GatewayMessages.RequestHeaderMap(request, null), EndOfStream = !hasBody },
            ProtocolConfig = new ProtocolConfiguration { RequestBodyMode = ProcessingMode.Types.BodySendMode.FullDuplexStreamed },
        }, ct).ConfigureAwait(false);
        var pump = hasBody ? PumpAsync(request.Body, call.RequestStream, ct) : Task.CompletedTask;

        var answer = await NextAsync(call.ResponseStream, ct).ConfigureAwait(false);
        if (answer.ResponseCase == ProcessingResponse.ResponseOneofCase.ImmediateResponse)
        {
            // The router may have ended the call while body chunks were still being written; that failure is expected.
            _ = pump.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            await GatewayProxy.WriteImmediateAsync(context, answer.ImmediateResponse, ct).ConfigureAwait(false);
            return false;
        }
        if (answer.ResponseCase != ProcessingResponse.ResponseOneofCase.RequestHeaders)
            throw new RpcException(new Status(StatusCode.Internal, $"body router answered {answer.ResponseCase} where RequestHeaders was expected"));
        Apply(request, answer.RequestHeaders.Response?.HeaderMutation);

        if (hasBody)
        {
            var body = new MemoryStream();
            while (true)
            {
                var r = await NextAsync(call.ResponseStream, ct).ConfigureAwait(false);
                var streamed = r.RequestBody?.Response?.BodyMutation?.StreamedResponse
                    ?? throw new RpcException(new Status(StatusCode.Internal, "body router sent a body answer without streamed_response"));
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

    private async Task PumpAsync(Stream body, global::Grpc.Core.IClientStreamWriter<ProcessingRequest> writer, CancellationToken ct)
    {
        var buffer = new byte[_chunkBytes];
        while (true)
        {
            var n = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            var last = n < buffer.Length;
            await writer.WriteAsync(new ProcessingRequest { RequestBody = new HttpBody { Body = ByteString.CopyFrom(buffer, 0, n), EndOfStream = last } }, ct).ConfigureAwait(false);
            if (last)
                return;
        }
    }

    private static void Apply(HttpRequest request, HeaderMutation? mutation)
    {
        if (mutation is null)
            return;
        foreach (var name in mutation.RemoveHeaders)
            request.Headers.Remove(name);
        foreach (var h in mutation.SetHeaders)
        {
            var key = h.Header.Key;
            if (key.StartsWith(':') || GatewayHeaders.HopByHop.Contains(key))
                continue;
            request.Headers[key] = h.Header.Text();
        }
    }

    private static async Task<ProcessingResponse> NextAsync(global::Grpc.Core.IAsyncStreamReader<ProcessingResponse> reader, CancellationToken ct) =>
        await reader.MoveNext(ct).ConfigureAwait(false)
            ? reader.Current
            : throw new RpcException(new Status(StatusCode.Internal, "body router stream ended before the request was answered"));
}
