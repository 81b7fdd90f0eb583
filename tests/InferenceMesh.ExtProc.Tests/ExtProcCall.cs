using Grpc.Core;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>One ext_proc stream driven from the generated Grpc.Net.Client client, with the reads the tests need.
/// Disposing an unfinished call resets the stream, as Envoy does when the downstream client leaves.</summary>
internal sealed class ExtProcCall : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly AsyncDuplexStreamingCall<ProcessingRequest, ProcessingResponse> _call;

    private ExtProcCall(AsyncDuplexStreamingCall<ProcessingRequest, ProcessingResponse> call) => _call = call;

    public static ExtProcCall Open(ExtProcTestHost host) => Open(host.Client);

    public static ExtProcCall Open(ExternalProcessor.ExternalProcessorClient client, DateTime? deadline = null) => new(client.Process(deadline: deadline));

    public Task WriteAsync(ProcessingRequest message) => _call.RequestStream.WriteAsync(message);

    public async Task SendAllAsync(IEnumerable<ProcessingRequest> messages)
    {
        foreach (var m in messages)
            await WriteAsync(m);
    }

    /// <summary>The next answer, or null when the server ended the stream with OK (a failed status throws <see cref="RpcException"/>).</summary>
    public async Task<ProcessingResponse?> ReadAsync()
    {
        using var cts = new CancellationTokenSource(Patience);
        return await _call.ResponseStream.MoveNext(cts.Token) ? _call.ResponseStream.Current : null;
    }

    public async Task<ProcessingResponse> NextAsync() =>
        await ReadAsync() ?? throw new InvalidOperationException("the stream ended early");

    /// <summary>Reads request-body streamed chunks until end_of_stream and returns the reassembled body and chunk count.</summary>
    public async Task<(byte[] Body, int Chunks, int Largest)> ReadStreamedRequestBodyAsync()
    {
        using var ms = new MemoryStream();
        var chunks = 0;
        var largest = 0;
        while (true)
        {
            var r = await NextAsync();
            Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestBody, r.ResponseCase);
            var streamed = r.RequestBody.Response.BodyMutation.StreamedResponse;
            Assert.NotNull(streamed);
            chunks++;
            largest = Math.Max(largest, streamed.Body.Length);
            streamed.Body.WriteTo(ms);
            if (streamed.EndOfStream)
                return (ms.ToArray(), chunks, largest);
        }
    }

    /// <summary>Half-closes and expects the server to finish with OK.</summary>
    public async Task FinishAsync()
    {
        await _call.RequestStream.CompleteAsync();
        Assert.Null(await ReadAsync());
        Assert.Equal(StatusCode.OK, _call.GetStatus().StatusCode);
    }

    public ValueTask DisposeAsync()
    {
        _call.Dispose();
        return ValueTask.CompletedTask;
    }
}
