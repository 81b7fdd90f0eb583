using Grpc.Core;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc.BodyRouting;

/// <summary><c>envoy.service.ext_proc.v3.ExternalProcessor/Process</c> in body-routing mode: one
/// <see cref="BodyRoutingStream"/> per HTTP request.</summary>
internal sealed class BodyRoutingService : ExternalProcessor.ExternalProcessorBase
{
    private readonly BodyRoutingOptions _options;
    private readonly BodyRoutingMetrics _metrics;
    private readonly ILogger<BodyRoutingService> _logger;

    public BodyRoutingService(IOptions<BodyRoutingOptions> options, BodyRoutingMetrics metrics, ILogger<BodyRoutingService> logger)
    {
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
    }

    public override async Task Process(IAsyncStreamReader<ProcessingRequest> requestStream, IServerStreamWriter<ProcessingResponse> responseStream, ServerCallContext context)
    {
        using var stream = new BodyRoutingStream(_options, _metrics, _logger, responseStream, context.CancellationToken);
        await stream.RunAsync(requestStream).ConfigureAwait(false);
    }
}
