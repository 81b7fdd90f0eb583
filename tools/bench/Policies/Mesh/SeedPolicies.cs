using System.Runtime.CompilerServices;
using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>Variants for the seeds' priority scenario (docs/benchmarks/seeds.md): the DEFAULT profile with the queue TTL
/// the scheduler uses when neither the request nor the options give one, to see what that TTL expires.</summary>
internal static class SeedPolicies
{
#pragma warning disable CA2255 // The bench is an executable; registering at load keeps PolicyRegistry free of a Scheduling dependency.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        PolicyRegistry.Register("mesh-default-ttl-default", "InferenceMesh DEFAULT, queueing on, the scheduler's default queue TTL (SchedulerOptions.DefaultTtlMs)",
            c => new MeshPolicy("mesh-default-ttl-default", c, new SchedulerOptions { UseQueueing = true }, PoolAnnotations.StrategyDefault, index: null));
}
