using System.Globalization;
using System.Runtime.CompilerServices;
using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>Variants for the seeds' priority scenario (docs/benchmarks/seeds.md): the DEFAULT profile with queueing on and
/// a given queue TTL, to see which requests a TTL expires that the seeds' gateway (1 h route timeout) would have served.</summary>
internal static class SeedPolicies
{
    private static readonly int[] TtlSeconds = [30, 60, 120, 300, 600];

#pragma warning disable CA2255 // The bench is an executable; registering at load keeps PolicyRegistry free of a Scheduling dependency.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        PolicyRegistry.Register("mesh-default-ttl-default", "InferenceMesh DEFAULT, queueing on, the scheduler's default queue TTL (SchedulerOptions.DefaultTtlMs)",
            c => new MeshPolicy("mesh-default-ttl-default", c, new SchedulerOptions { UseQueueing = true }, PoolAnnotations.StrategyDefault, index: null));
        foreach (var s in TtlSeconds)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"mesh-default-ttl-{s}s");
            var ttlMs = s * 1000;
            PolicyRegistry.Register(name, string.Create(CultureInfo.InvariantCulture, $"InferenceMesh DEFAULT, queueing on, queue TTL {s} s"),
                c => new MeshPolicy(name, c, new SchedulerOptions { UseQueueing = true, DefaultTtlMs = ttlMs }, PoolAnnotations.StrategyDefault, index: null));
        }
    }
}
