using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>Helpers to drive one ext_proc stream from the C# h2c client.</summary>
internal static class ExtProcCall
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static GrpcDuplexCall<ProcessingRequest, ProcessingResponse> Open(ExtProcTestHost host) =>
        GrpcClientFactory.StartDuplex<ProcessingRequest, ProcessingResponse>(
            host.Invoker, host.GrpcAddress, "/envoy.service.ext_proc.v3.ExternalProcessor/Process", ProcessingResponse.Parser);

    public static async Task<ProcessingResponse> NextAsync(this GrpcDuplexCall<ProcessingRequest, ProcessingResponse> call)
    {
        using var cts = new CancellationTokenSource(Patience);
        return await call.ReadAsync(cts.Token) ?? throw new InvalidOperationException("the stream ended early");
    }

    /// <summary>Reads request-body streamed chunks until end_of_stream and returns the reassembled body and chunk count.</summary>
    public static async Task<(byte[] Body, int Chunks, int Largest)> ReadStreamedRequestBodyAsync(this GrpcDuplexCall<ProcessingRequest, ProcessingResponse> call)
    {
        using var ms = new MemoryStream();
        var chunks = 0;
        var largest = 0;
        while (true)
        {
            var r = await call.NextAsync();
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
    public static async Task FinishAsync(this GrpcDuplexCall<ProcessingRequest, ProcessingResponse> call)
    {
        call.CompleteRequest();
        using var cts = new CancellationTokenSource(Patience);
        Assert.Null(await call.ReadAsync(cts.Token));
        Assert.Equal(GrpcStatusCode.Ok, call.Status);
    }

    public static async Task SendAllAsync(this GrpcDuplexCall<ProcessingRequest, ProcessingResponse> call, IEnumerable<ProcessingRequest> messages)
    {
        foreach (var m in messages)
            await call.WriteAsync(m);
    }
}
