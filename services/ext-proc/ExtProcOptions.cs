using System.ComponentModel.DataAnnotations;
using InferenceMesh.Contracts;

namespace InferenceMesh.ExtProc;

/// <summary>Configuration section <c>ExtProc</c>.</summary>
public sealed record ExtProcOptions : IValidatableObject
{
    public const string Section = "ExtProc";

    /// <summary>The largest chunk Envoy accepts in a streamed body response (GIE uses 62,000).</summary>
    public const int MaxStreamedChunkBytes = 62_000;

    /// <summary>Address both listeners bind to ("0.0.0.0" so Envoy can reach the pod; "127.0.0.1" locally).</summary>
    [Required]
    public string ListenAddress { get; init; } = "0.0.0.0";

    /// <summary>gRPC ext_proc port (TLS unless <see cref="SecureServing"/> is off, then h2c). 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int GrpcPort { get; init; } = 9002;

    /// <summary>Serve ext_proc over TLS (the reference picker's <c>--secure-serving</c>, on by default); off = h2c.</summary>
    public bool SecureServing { get; init; } = true;

    /// <summary>Directory holding <c>tls.crt</c> and <c>tls.key</c> (PEM) for <see cref="SecureServing"/>; unset = a
    /// self-signed certificate made at start (the reference picker's <c>--cert-path</c>).</summary>
    public string? CertPath { get; init; }

    /// <summary>Plaintext gRPC health port (the reference's <c>--grpc-health-port</c>, 9003). 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int HealthPort { get; init; } = 9003;

    /// <summary>HTTP/1.1 port that also serves <c>/metrics</c> (the reference's <c>--metrics-port</c>, 9090). 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int MetricsPort { get; init; } = 9090;

    /// <summary>Longest wait for the scheduler's answer (queueing included); then <see cref="FailureMode"/> applies.
    /// Must exceed the queue TTL, or queued requests are given up before the scheduler would serve them.</summary>
    [Range(100, 86_400_000)]
    public int DecisionTimeoutMs { get; init; } = 120_000;

    /// <summary>What a request gets when the scheduler fails or times out: "FailClose" (503, the default) or "FailOpen"
    /// (an endpoint of the proxy's subset hint, else the ext_proc stream fails so the proxy's own failure mode applies).</summary>
    [AllowedValues(FailClose, FailOpen)]
    public string FailureMode { get; init; } = FailClose;

    public const string FailClose = "FailClose";

    public const string FailOpen = "FailOpen";

    /// <summary>HTTP/1.1 port for health, metrics and the Dapr app channel. 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int HttpPort { get; init; } = 5104;

    /// <summary>InferencePool this picker serves.</summary>
    [Required]
    public string Pool { get; init; } = "default-pool";

    /// <summary>Largest request body buffered for parsing; bigger requests get 413.</summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public int MaxBodyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Size of re-streamed body chunks (at most 62,000).</summary>
    [Range(1, MaxStreamedChunkBytes)]
    public int ChunkBytes { get; init; } = MaxStreamedChunkBytes;

    /// <summary>Queue TTL handed to the scheduler in ms; 0 = the scheduler's default.</summary>
    [Range(0, 3_600_000)]
    public int QueueTtlMs { get; init; }

    /// <summary>Band of models with no InferenceModel (later GIE versions default to priority 0 = Standard).</summary>
    public Criticality DefaultCriticality { get; init; } = Criticality.Standard;

    /// <summary>What happens to a request whose model no InferenceModel of the pool serves: <c>Passthrough</c> (scheduled
    /// at <see cref="DefaultCriticality"/>, counted and prefix-indexed under <c>_other</c>) or <c>Reject</c> (404 in
    /// OpenAI's error shape, before scheduling).</summary>
    [AllowedValues(UnknownModelPolicy.Passthrough, UnknownModelPolicy.Reject)]
    public string UnknownModels { get; init; } = UnknownModelPolicy.Passthrough;

    /// <summary>Longest <c>model</c> value accepted (UTF-16 characters); longer is a 400.</summary>
    [Range(1, 65_536)]
    public int MaxModelNameLength { get; init; } = 256;

    /// <summary>Honour <c>x-gateway-inference-objective</c> and <c>x-gateway-model-name-rewrite</c>. Only safe when the
    /// gateway strips client-supplied <c>x-gateway-*</c> headers (the shipped Envoy and Envoy Gateway configurations do);
    /// turn off behind a gateway that does not, or any client can claim a Critical objective.</summary>
    public bool TrustGatewayHeaders { get; init; } = true;

    /// <summary>Put the scheduler's fallbacks after the primary, comma-separated, in the header and the metadata.
    /// Off by default: an ORIGINAL_DST cluster reads exactly one address from the header.</summary>
    public bool IncludeFallbacks { get; init; }

    /// <summary>Restore the client's model name in responses when the request's model was rewritten.</summary>
    public bool RestoreModelInResponse { get; init; } = true;

    /// <summary>Body mode assumed when Envoy does not send protocol_config: FullDuplexStreamed (GIE), Streamed or Buffered.</summary>
    [AllowedValues("FullDuplexStreamed", "Streamed", "Buffered")]
    public string DefaultBodyMode { get; init; } = "FullDuplexStreamed";

    /// <summary>How completions reach the schedulers over Dapr: "pubsub" (fan-out topic, every replica sees it) or "invoke".</summary>
    [AllowedValues("pubsub", "invoke")]
    public string CompletionTransport { get; init; } = "pubsub";

    /// <summary>The Inference Extension conformance suite's test hooks: the <c>test-epp-endpoint-selection</c> request header
    /// restricts the candidates, and responses echo the served endpoint in <c>x-conformance-test-served-endpoint</c>.
    /// Off by default: any client could steer its own requests with the header.</summary>
    public bool ConformanceTestHooks { get; init; }

    /// <summary>Seed for the weighted target-model pick; null = random.</summary>
    public int? RandomSeed { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (QueueTtlMs > 0 && DecisionTimeoutMs <= QueueTtlMs)
            yield return new ValidationResult("must exceed QueueTtlMs (a queued request would be given up before it expires)", [nameof(DecisionTimeoutMs)]);
        foreach (var result in ExtProcCertificate.Validate(SecureServing, CertPath))
            yield return result;
    }

    /// <summary>InferenceModels configured here; each wins over a discovered InferenceModel of the same name (see <c>Discovery</c>).</summary>
    public IList<InferenceModelOptions> Models { get; init; } = [];
}

/// <summary>One InferenceModel in options.</summary>
public sealed record InferenceModelOptions
{
    /// <summary>Resource name (also accepted as <c>x-gateway-inference-objective</c>); defaults to ModelName.</summary>
    public string? Name { get; init; }

    /// <summary>The model name clients send.</summary>
    [Required]
    public string ModelName { get; init; } = "";

    public Criticality Criticality { get; init; } = Criticality.Standard;

    /// <summary>Weighted rewrite targets; empty = no rewrite.</summary>
    public IList<TargetModelOptions> TargetModels { get; init; } = [];
}

/// <summary>A weighted rewrite target.</summary>
public sealed record TargetModelOptions
{
    [Required]
    public string Name { get; init; } = "";

    [Range(0, 1_000_000)]
    public int Weight { get; init; } = 1;
}

/// <summary>Values of <see cref="ExtProcOptions.UnknownModels"/>.</summary>
public static class UnknownModelPolicy
{
    public const string Passthrough = "Passthrough";
    public const string Reject = "Reject";
}
