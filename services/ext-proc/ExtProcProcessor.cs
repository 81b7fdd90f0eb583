using InferenceMesh.Contracts;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc;

/// <summary>What every ext_proc stream shares: options, the model resolver, the hasher, the scheduler step, metrics, time.</summary>
internal sealed class ExtProcProcessor
{
    public const string ServiceName = "envoy.service.ext_proc.v3.ExternalProcessor";

    public ExtProcProcessor(
        IOptions<ExtProcOptions> options,
        ISchedulingService scheduling,
        IInferenceModelSource models,
        IPromptHasher hasher,
        ExtProcMetrics metrics,
        ReferenceMetrics reference,
        TimeProvider time,
        ILogger<ExtProcProcessor> logger)
    {
        Options = options.Value;
        Scheduling = scheduling;
        Hasher = hasher;
        Metrics = metrics;
        Reference = reference;
        Time = time;
        Logger = logger;
        var random = Options.RandomSeed is { } seed ? new Random(seed) : new Random();
        Resolver = new ModelResolver(models, Options.DefaultCriticality, random, Options.TrustGatewayHeaders);
        RejectUnknownModels = Options.UnknownModels == UnknownModelPolicy.Reject;
        Scheduler = new SchedulingStep(scheduling, Options.IncludeFallbacks, logger,
            TimeSpan.FromMilliseconds(Options.DecisionTimeoutMs), Options.FailureMode == ExtProcOptions.FailOpen, time);
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

    /// <summary>The reference picker's metric names (inference_objective_*), beside ours.</summary>
    public ReferenceMetrics Reference { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public ModelResolver Resolver { get; }

    public SchedulingStep Scheduler { get; }

    /// <summary><c>ExtProc:UnknownModels</c> is <c>Reject</c>.</summary>
    public bool RejectUnknownModels { get; }

    public BodyMode DefaultMode { get; }
}

/// <summary>How Envoy sends a body (ProcessingMode.BodySendMode, the ones the picker handles).</summary>
internal enum BodyMode
{
    FullDuplex,
    Streamed,
    Buffered,
}
