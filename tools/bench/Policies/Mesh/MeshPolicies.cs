using System.Runtime.CompilerServices;
using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>Registers the InferenceMesh policies (and the reference picker's default profile, reimplemented) with the bench.</summary>
internal static class MeshPolicies
{
    /// <summary>Reference picker's approximate index: 256 blocks matched at most, LRU 31,250 blocks per endpoint.</summary>
    private const int GieMaxBlocks = 256;
    private const int GieLruCapacity = 31_250;

    /// <summary>Ours: the index is bounded by the endpoint's KV capacity and matches whole long prompts.</summary>
    private const int MeshMaxBlocks = 16_384;

    private const int BenchTtlMs = 3_600_000;

    /// <summary>The reference picker's default profile (its chart's default-plugins.yaml), in the scorer order our sum uses.</summary>
    private const string GieConfig = """
        plugins:
        - type: queue-scorer
        - type: kv-cache-utilization-scorer
        - type: prefix-cache-scorer
        - type: max-score-picker
        schedulingProfiles:
        - name: GIE
          plugins:
          - pluginRef: queue-scorer
            weight: 2
          - pluginRef: kv-cache-utilization-scorer
            weight: 2
          - pluginRef: prefix-cache-scorer
            weight: 3
          - pluginRef: max-score-picker
        """;

    /// <summary>DEFAULT plus the completion-rate scorer (an experiment: DEFAULT itself is unchanged).</summary>
    private const string DefaultRateConfig = """
        plugins:
        - type: queue-scorer
        - type: kv-cache-utilization-scorer
        - type: lora-affinity-scorer
        - type: in-flight-scorer
        - type: service-rate-scorer
        - type: max-score-picker
        schedulingProfiles:
        - name: DEFAULT_RATE
          plugins:
          - pluginRef: queue-scorer
            weight: 2
          - pluginRef: kv-cache-utilization-scorer
            weight: 2
          - pluginRef: lora-affinity-scorer
            weight: 1
          - pluginRef: in-flight-scorer
            weight: 2
          - pluginRef: service-rate-scorer
            weight: 4
          - pluginRef: max-score-picker
        """;

    /// <summary>TTFT objectives of the SLO-aware policies (<c>mesh-slo-{ms}</c>), ms.</summary>
    private static readonly int[] SloObjectivesMs = [1000, 2000, 5000];

#pragma warning disable CA2255 // The bench is an executable; registering at load keeps PolicyRegistry free of a Scheduling dependency.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        PolicyRegistry.Register("mesh-default", "InferenceMesh DEFAULT: queue 2 / kv 2 / in-flight 2 / lora 1, saturation detector, flow-control queue",
            c => Create("mesh-default", c, PoolAnnotations.StrategyDefault, queueing: true, prefix: false));
        PolicyRegistry.Register("mesh-default-noqueue", "InferenceMesh DEFAULT with queueing off (saturated: dispatch anyway, shed Sheddable)",
            c => Create("mesh-default-noqueue", c, PoolAnnotations.StrategyDefault, queueing: false, prefix: false));
        PolicyRegistry.Register("mesh-default-critical2", "InferenceMesh DEFAULT, queueing on, Critical may fill endpoints to 2x the saturation thresholds",
            c => Create("mesh-default-critical2", c, PoolAnnotations.StrategyDefault, queueing: true, prefix: false, criticalLimit: 2));
        PolicyRegistry.Register("mesh-default-std1", "InferenceMesh DEFAULT, queueing on, Standard and Sheddable dispatched only while an endpoint has at most 1 request waiting (StandardSaturationLimit 0.2); Critical up to the thresholds",
            c => Create("mesh-default-std1", c, PoolAnnotations.StrategyDefault, queueing: true, prefix: false, standardLimit: 0.2));
        PolicyRegistry.Register("mesh-default-std0", "InferenceMesh DEFAULT, queueing on, Standard and Sheddable dispatched only to an endpoint with an empty queue (StandardSaturationLimit 0); Critical up to the thresholds",
            c => Create("mesh-default-std0", c, PoolAnnotations.StrategyDefault, queueing: true, prefix: false, standardLimit: 0));
        PolicyRegistry.Register("mesh-default-strict", "InferenceMesh DEFAULT, queueing on, strict priority (PriorityAgingMs 0: Standard waits while any Critical request is queued)",
            c => Create("mesh-default-strict", c, PoolAnnotations.StrategyDefault, queueing: true, prefix: false, priorityAgingMs: 0));
        PolicyRegistry.Register("mesh-default-rate", "InferenceMesh DEFAULT plus service-rate-scorer (weight 4: endpoints that served this replica's requests slower per output token score lower), queueing on",
            c => Create("mesh-default-rate", c, "DEFAULT_RATE", queueing: true, prefix: false, configText: DefaultRateConfig));
        PolicyRegistry.Register("mesh-prefix", "InferenceMesh PREFIX_CACHE: prefix 3 / queue 2 / kv 2 / in-flight 1 / lora 1, flow-control queue",
            c => Create("mesh-prefix", c, PoolAnnotations.StrategyPrefixCache, queueing: true, prefix: true, prefixProfile: PoolAnnotations.StrategyPrefixCache));
        PolicyRegistry.Register("mesh-predicted", "InferenceMesh PREDICTED_TTFT: min predicted TTFT (queue wait + uncached prefill), load-gated prefix credit",
            c => Create("mesh-predicted", c, SchedulerOptions.PredictedTtftProfile, queueing: true, prefix: true));
        PolicyRegistry.Register("mesh-predicted-overflow", "mesh-predicted with OverflowWhenFull: a full band sends its oldest request on to the servers instead of answering the arrival 429",
            c => Create("mesh-predicted-overflow", c, SchedulerOptions.PredictedTtftProfile, queueing: true, prefix: true, overflow: true));
        PolicyRegistry.Register("gie-reference", "reimplementation of the reference picker's default profile: prefix 3 / queue 2 / kv 2, 64-char blocks, 256 blocks, LRU 31,250, no queueing",
            CreateGieReference);
        foreach (var ms in SloObjectivesMs)
        {
            var objective = ms;
            PolicyRegistry.Register($"mesh-slo-{objective}", $"InferenceMesh DEFAULT with a {objective} ms TTFT objective on every request: only endpoints predicted to meet it take part; Standard and Sheddable that none can meet are shed (429)",
                c => Create($"mesh-slo-{objective}", c, PoolAnnotations.StrategyDefault, queueing: true, prefix: false, ttftSloMs: objective, shedStandard: true));
            PolicyRegistry.Register($"mesh-slo-{objective}-noshed", $"as mesh-slo-{objective}, but Standard requests none can serve in time are placed anyway (only Sheddable is shed)",
                c => Create($"mesh-slo-{objective}-noshed", c, PoolAnnotations.StrategyDefault, queueing: true, prefix: false, ttftSloMs: objective));
        }
    }

    internal static MeshPolicy Create(string name, PolicyContext c, string profile, bool queueing, bool prefix, double criticalLimit = 1.0, double standardLimit = 1.0,
        string prefixProfile = SchedulerOptions.PredictedTtftProfile, int ttftSloMs = 0, bool shedStandard = false, string? configText = null,
        bool overflow = false, int? priorityAgingMs = null, CapacityFeedbackMode capacityFeedback = CapacityFeedbackMode.WhenUnknown,
        double? placementRetention = null)
    {
        var options = new SchedulerOptions
        {
            UseQueueing = queueing,
            OverflowWhenFull = overflow,
            CriticalSaturationLimit = criticalLimit,
            StandardSaturationLimit = standardLimit,
            PrefixCacheProfile = prefixProfile,
            // Bench clients have no deadline (like the seeds' benchmark clients): the queue TTL must not be what fails them.
            DefaultTtlMs = BenchTtlMs,
            Slo = new SloOptions { DefaultTtftMs = ttftSloMs, ShedStandard = shedStandard },
            ConfigText = configText,
            CapacityFeedbackIntervalMs = capacityFeedback == CapacityFeedbackMode.Off ? 0 : new SchedulerOptions().CapacityFeedbackIntervalMs,
        };
        if (priorityAgingMs is { } aging)
            options.PriorityAgingMs = aging;
        if ((placementRetention ?? c.PlacementRetention) is { } retention)
            options.PlacementRetention = retention;
        var capacity = c.ApproxIndexCapacity > 0 ? c.ApproxIndexCapacity : c.KvBlocksPerServer > 0 ? c.KvBlocksPerServer : GieLruCapacity;
        // The servers' KV size stands for the engine-reported num_gpu_blocks; --approx-capacity for an index that never learnt it.
        var engineReported = c.ApproxIndexCapacity <= 0 && c.KvBlocksPerServer > 0;
        var rule = new PrefixIndexOptions { CapacityFeedback = capacityFeedback };
        if (c.CapacityFeedbackSteps is { } steps)
            rule = rule with { CapacityGrowPerBlock = steps.Grow, CapacityShrinkPerBlock = steps.Shrink };
        return new MeshPolicy(name, c, options, profile, prefix ? IndexFor(c, capacity) : null, rule, engineReported);
    }

    /// <summary>Our index: one for every replica when the prefix state is shared (records visible after the index delay,
    /// as through pub/sub and Redis), else the replica's own, recorded at once.</summary>
    private static LruPrefixIndex IndexFor(PolicyContext c, int capacity)
    {
        if (c.Replica is not { SharedPrefixState: true } r)
            return new LruPrefixIndex(c.Endpoints.Count, capacity, MeshMaxBlocks);
        return r.Shared("mesh-prefix-index", () => new LruPrefixIndex(c.Endpoints.Count, capacity, MeshMaxBlocks, c.TimeProvider, r.IndexDelayMs));
    }

    /// <summary>The reference picker's index is in memory per replica, whatever the run's prefix state.</summary>
    private static MeshPolicy CreateGieReference(PolicyContext c)
    {
        // The reference picker's LRU keeps its fixed capacity: no feedback from the servers' reported hits.
        var options = new SchedulerOptions { UseQueueing = false, ConfigText = GieConfig, CapacityFeedbackIntervalMs = 0 };
        // Nor does it see other replicas' dispatches: without the replica context it gets neither shared index nor events.
        return new MeshPolicy("gie-reference", c with { Replica = null }, options, "GIE", new LruPrefixIndex(c.Endpoints.Count, GieLruCapacity, GieMaxBlocks));
    }
}
