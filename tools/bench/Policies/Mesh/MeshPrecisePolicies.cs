using System.Runtime.CompilerServices;
using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>Registers the precise mode of the mesh policies: the same scheduler and profiles, with prefix matches read
/// from the servers' KV events instead of the approximate LRU (the PRECISE_PREFIX_CACHE strategy's data).</summary>
internal static class MeshPrecisePolicies
{
    private const int MaxBlocks = 16_384;
    private const int BenchTtlMs = 3_600_000;

#pragma warning disable CA2255 // As MeshPolicies: the bench registers its policies at load.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        PolicyRegistry.Register("mesh-precise", "InferenceMesh PRECISE_PREFIX_CACHE: mesh-prefix's profile (prefix 3 / queue 2 / kv 2 / in-flight 1 / lora 1) with exact per-server block sets from KV events",
            c => Create("mesh-precise", c, PoolAnnotations.StrategyPrefixCache));
        PolicyRegistry.Register("mesh-predicted-precise", "InferenceMesh PREDICTED_TTFT with exact per-server block sets from KV events",
            c => Create("mesh-predicted-precise", c, SchedulerOptions.PredictedTtftProfile));
        PolicyRegistry.Register("mesh-prefill-work-precise", "InferenceMesh PREFILL_WORK with exact per-server block sets from KV events",
            c => Create("mesh-prefill-work-precise", c, SchedulerOptions.PrefillWorkProfile));
        PolicyRegistry.Register("mesh-prefill-work-precise-events-only", "mesh-prefill-work-precise without the speculative record (events alone, as /match-precise)",
            c => Create("mesh-prefill-work-precise-events-only", c, SchedulerOptions.PrefillWorkProfile, speculative: false));
        PolicyRegistry.Register("mesh-precise-events-only", "mesh-precise without the bench's 10 s speculative record of picks: a followed server scores from its KV events alone, as prefix-index /match-precise answers",
            c => Create("mesh-precise-events-only", c, PoolAnnotations.StrategyPrefixCache, speculative: false));
        PolicyRegistry.Register("mesh-predicted-precise-events-only", "mesh-predicted-precise without the speculative record (events alone, as /match-precise)",
            c => Create("mesh-predicted-precise-events-only", c, SchedulerOptions.PredictedTtftProfile, speculative: false));
    }

    private static MeshPrecisePolicy Create(string name, PolicyContext c, string profile, bool speculative = true)
    {
        var options = new SchedulerOptions
        {
            UseQueueing = true,
            PrefixCacheProfile = profile,
            DefaultTtlMs = BenchTtlMs,
        };
        if (c.PlacementRetention is { } retention)
            options.PlacementRetention = retention;
        return new MeshPrecisePolicy(name, c, options, profile, MaxBlocks, speculative);
    }
}
