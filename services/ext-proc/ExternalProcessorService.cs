using Grpc.Core;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc;

/// <summary><c>envoy.service.ext_proc.v3.ExternalProcessor/Process</c>: one <see cref="ExtProcStream"/> per HTTP request Envoy processes.</summary>
internal sealed class ExternalProcessorService : ExternalProcessor.ExternalProcessorBase
{
    private readonly ExtProcProcessor _processor;

    public ExternalProcessorService(ExtProcProcessor processor) => _processor = processor;

    public override async Task Process(IAsyncStreamReader<ProcessingRequest> requestStream, IServerStreamWriter<ProcessingResponse> responseStream, ServerCallContext context)
    {
        _processor.Metrics.StreamOpened();
        try
        {
            using var stream = new ExtProcStream(_processor, responseStream, context.CancellationToken);
            await stream.RunAsync(requestStream).ConfigureAwait(false);
        }
        finally
        {
            _processor.Metrics.StreamClosed();
        }
    }
}
