using InferenceMesh.Contracts;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc;

/// <summary>The ExternalProcessor service: one <see cref="ExtProcStream"/> per HTTP request Envoy processes.</summary>
internal sealed class ExtProcProcessor
{
    public const string ProcessPath = "/envoy.service.ext_proc.v3.ExternalProcessor/Process";
    public const string ServiceName = "envoy.service.ext_proc.v3.ExternalProcessor";

    public ExtProcProcessor(
        IOptions<ExtProcOptions> options,
        ISchedulingService scheduling,
        IInferenceModelSource models,
        IPromptHasher hasher,
        ExtProcMetrics metrics,
        TimeProvider time,
        ILogger<ExtProcProcessor> logger)
    {
        Options = options.Value;
        Scheduling = scheduling;
        Hasher = hasher;
        Metrics = metrics;
        Time = time;
        Logger = logger;
        var random = Options.RandomSeed is { } seed ? new Random(seed) : new Random();
        Resolver = new ModelResolver(models, Options.DefaultCriticality, random);
        DefaultMode = Options.DefaultBodyMode switch
        {
            "Streamed" => BodyMode.Streamed,
            "Buffered" => BodyMode.Buffered,
            _ => BodyMode.FullDuplex,
        };
    }

    public ExtProcOptions Options { get; }

    public ISchedulingService Scheduling { get; }

    public IPromptHasher Hasher { get; }

    public ExtProcMetrics Metrics { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public ModelResolver Resolver { get; }

    public BodyMode DefaultMode { get; }

    public async Task ProcessAsync(GrpcMessageReader<ProcessingRequest> reader, GrpcMessageWriter<ProcessingResponse> writer, GrpcCallContext call)
    {
        Metrics.StreamOpened();
        try
        {
            using var stream = new ExtProcStream(this, writer, call.CancellationToken);
            await stream.RunAsync(reader).ConfigureAwait(false);
        }
        finally
        {
            Metrics.StreamClosed();
        }
    }
}

/// <summary>How Envoy sends a body (ProcessingMode.BodySendMode, the ones the picker handles).</summary>
internal enum BodyMode
{
    FullDuplex,
    Streamed,
    Buffered,
}
