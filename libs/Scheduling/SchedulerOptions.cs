using System.ComponentModel.DataAnnotations;
using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>Configuration section <c>Scheduler</c>: saturation thresholds, queue bounds, profiles, TTFT objectives and pools.</summary>
public sealed record SchedulerOptions : IValidatableObject
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Scheduler";

    /// <summary>Built-in profile that predicts time to first token instead of summing scores.</summary>
    public const string PredictedTtftProfile = "PREDICTED_TTFT";

    /// <summary>Built-in profile that adds the prefill a placement makes the fleet compute, weighted by the fleet's queues, to the
    /// predicted TTFT (the PREFIX_CACHE default; docs/benchmarks/goodput.md).</summary>
    public const string PrefillWorkProfile = "PREFILL_WORK";

    /// <summary>Waiting requests at which an endpoint counts as saturated (GIE queueDepthThreshold).</summary>
    [Range(0.001, 1_000_000)]
    public double QueueThreshold { get; set; } = 5;

    /// <summary>KV-cache usage from which the scorers treat an endpoint as loaded (GIE kvCacheUtilThreshold): the
    /// predicted-TTFT prefix gate and KV penalty. The admission gate uses the servers' queues only (docs/scheduler.md).</summary>
    [Range(0.001, 1.0)]
    public double KvThreshold { get; set; } = 0.8;

    /// <summary>Metrics older than this make an endpoint count as saturated (GIE metricsStalenessThreshold).</summary>
    [Range(1, 3_600_000)]
    public int StalenessMs { get; set; } = 200;

    /// <summary>Saturation up to which Critical requests are still dispatched (1 = the same thresholds as other bands;
    /// 2 = Critical may fill endpoints to twice the queue threshold while Standard waits).</summary>
    [Range(1.0, 1000)]
    public double CriticalSaturationLimit { get; set; } = 1.0;

    /// <summary>Saturation up to which Standard and Sheddable requests are dispatched (1 = the thresholds; 0.2 with the
    /// default queue threshold 5 = only while an endpoint has at most one request waiting, which keeps the servers' own
    /// first-come queues short so a queued Critical request is not stuck behind Standard ones already there).</summary>
    [Range(0.0, 1.0)]
    public double StandardSaturationLimit { get; set; } = 1.0;

    /// <summary>Bounded priority: a queued request goes ahead of every request one band above it that arrived more than
    /// this long after it (release order is the earliest <c>enqueued + band × PriorityAgingMs</c>), so a lower band waits at most
    /// this much longer than the band above; 0 = strict priority (a lower band waits while any higher request is queued).</summary>
    [Range(0, 3_600_000)]
    public int PriorityAgingMs { get; set; } = 5_000;

    /// <summary>Queue while saturated (true) or dispatch anyway (false); per pool overridable.</summary>
    public bool UseQueueing { get; set; } = true;

    /// <summary>Queue TTL when the request gives none: 1 h, the seeds' Envoy Gateway request timeout, so the gateway's route
    /// timeout (which resets the ext_proc stream and so cancels the wait) decides, as the client deadline does in the reference.</summary>
    [Range(1, 3_600_000)]
    public int DefaultTtlMs { get; set; } = 3_600_000;

    /// <summary>Most requests queued per band per pool.</summary>
    [Range(1, 10_000_000)]
    public int BandMaxRequests { get; set; } = 1000;

    /// <summary>When a Critical or Standard band is full, send its oldest request on to the servers (as with queueing off) and
    /// queue the new one, instead of answering the new one <c>QueueFull</c> 429; false = refuse (docs/scheduler.md).</summary>
    public bool OverflowWhenFull { get; set; }

    /// <summary>Most request bytes queued per band per pool.</summary>
    [Range(1, long.MaxValue)]
    public long BandMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Housekeeping period: TTL expiry and a release attempt.</summary>
    [Range(1, 60_000)]
    public int TickMs { get; set; } = 10;

    /// <summary>Fallback endpoints returned after the primary.</summary>
    [Range(0, 16)]
    public int MaxFallbacks { get; set; } = 2;

    /// <summary>How often the capacity evidence of the completions (the servers' reported cache hits against the
    /// approximate index's match at the pick) goes to prefix-index (<c>/capacity-feedback</c>), in ms; 0 = never.</summary>
    [Range(0, 3_600_000)]
    public int CapacityFeedbackIntervalMs { get; set; } = 2_000;

    /// <summary>How long a placement-aware profile (<c>PREFILL_WORK</c>) credits an endpoint with a prompt prefix this replica
    /// sent it: until this many times the server's KV cache (<c>num_gpu_blocks × block_size</c> tokens) in uncached prompt
    /// blocks has been sent there after it — by then an LRU cache of that size has evicted it. 0 = placements never age
    /// (before 2026-12-05).</summary>
    [Range(0, 1000)]
    public double PlacementRetention { get; set; } = 1;

    /// <summary>Budget for a prefix-index match; past it the pick proceeds as if nothing matched.</summary>
    [Range(1, 60_000)]
    public int PrefixMatchTimeoutMs { get; set; } = 50;

    /// <summary>In-flight entries whose completion never arrived are forgotten after this long.</summary>
    [Range(1_000, 86_400_000)]
    public int InFlightExpiryMs { get; set; } = 600_000;

    /// <summary>When no metrics snapshot of a pool arrived for this long (Redis, the fan-out or the collector down), route
    /// fail-open on this replica's in-flight counts instead of queueing everything as saturated; 0 = never (queue, then 503).</summary>
    [Range(0, 3_600_000)]
    public int FailOpenAfterMs { get; set; } = 1000;

    /// <summary>With in-flight sharing, another scheduler replica counts as live while its latest dispatch event is at most this
    /// old; the live replicas split each snapshot's queue headroom between them (docs/scheduler.md, "Several replicas").
    /// 0 = no split (every replica may spend all of it).</summary>
    [Range(0, 3_600_000)]
    public int ReplicaLivenessMs { get; set; } = 2000;

    /// <summary>Seed of the tie-break randomness; null = random per process.</summary>
    public int? RandomSeed { get; set; }

    /// <summary>Profile for pools without a routing strategy, and for <c>DEFAULT</c>.</summary>
    [Required]
    public string DefaultProfile { get; set; } = PoolAnnotations.StrategyDefault;

    /// <summary>Profile used for <c>PREFIX_CACHE</c> and <c>PRECISE_PREFIX_CACHE</c> pools: PREFILL_WORK, chosen by the bench
    /// (docs/benchmarks/goodput.md; it is PREDICTED_TTFT while a server is idle); <c>PREDICTED_TTFT</c> for the per-request
    /// predicted TTFT alone, <c>PREFIX_CACHE</c> for the reference-style weighted sum.</summary>
    [Required]
    public string PrefixCacheProfile { get; set; } = PrefillWorkProfile;

    /// <summary>Scheduling profiles as EndpointPickerConfig YAML in a file (the shape of the Inference Extension's
    /// <c>--config-file</c>); its profiles are added to the built-in ones, a profile of the same name replacing the built-in.</summary>
    public string? ConfigFile { get; set; }

    /// <summary>The same as <see cref="ConfigFile"/>, inline (<c>--config-text</c>); read before the file.</summary>
    public string? ConfigText { get; set; }

    /// <summary>Per-pool overrides; their names are also the pools loaded from the state store at a cold start.</summary>
    public Dictionary<string, PoolOptions> Pools { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The predicted-TTFT cost model (the <c>predicted-ttft-scorer</c>, the backlog of every dispatch, TTFT objectives).</summary>
    public PredictedTtftOptions PredictedTtft { get; set; } = new();

    /// <summary>TTFT objectives: defaults for requests without the header, and what happens when none can be met.</summary>
    public SloOptions Slo { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        Dictionary<string, SchedulingProfile> profiles;
        string? problem = null, key = null;
        try
        {
            profiles = ProfileConfig.Load(this);
        }
        catch (ProfileConfigException ex)
        {
            profiles = [];
            key = ex.Path.StartsWith(nameof(ConfigText), StringComparison.Ordinal) ? nameof(ConfigText) : nameof(ConfigFile);
            // The key leads the message already (ConfigFile: plugins[2].type: ...); the validator prefixes it again.
            problem = ex.Message.StartsWith(key + ": ", StringComparison.Ordinal) ? ex.Message[(key.Length + 2)..] : ex.Message;
        }
        if (problem is not null)
        {
            yield return new ValidationResult(problem, [key!]);
            yield break;
        }
        if (!profiles.ContainsKey(DefaultProfile))
            yield return new ValidationResult($"profile '{DefaultProfile}' is defined neither built in nor in ConfigText/ConfigFile", [nameof(DefaultProfile)]);
        if (!profiles.ContainsKey(PrefixCacheProfile))
            yield return new ValidationResult($"profile '{PrefixCacheProfile}' is defined neither built in nor in ConfigText/ConfigFile", [nameof(PrefixCacheProfile)]);
        foreach (var (name, pool) in Pools)
        {
            if (pool?.RoutingStrategy is { } s && s != PoolAnnotations.StrategyDefault && s != PoolAnnotations.StrategyPrefixCache && s != PoolAnnotations.StrategyPrecisePrefixCache && !profiles.ContainsKey(s))
                yield return new ValidationResult($"routing strategy '{s}' is neither DEFAULT, PREFIX_CACHE, PRECISE_PREFIX_CACHE nor a profile", [$"{nameof(Pools)}:{name}:{nameof(PoolOptions.RoutingStrategy)}"]);
        }
        var ttft = new List<ValidationResult>();
        Validator.TryValidateObject(PredictedTtft, new ValidationContext(PredictedTtft), ttft, validateAllProperties: true);
        foreach (var r in ttft)
            yield return new ValidationResult(r.ErrorMessage, [$"{nameof(PredictedTtft)}:{r.MemberNames.FirstOrDefault()}"]);
        foreach (var r in Slo.Validate())
            yield return new ValidationResult(r.ErrorMessage, [$"{nameof(Slo)}:{r.MemberNames.FirstOrDefault()}"]);
    }
}
