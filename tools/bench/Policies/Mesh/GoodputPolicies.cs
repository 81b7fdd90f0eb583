using InferenceMesh.Prefix.Index;
using System.Runtime.CompilerServices;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>The PREFILL_WORK profile (goodput under overload, docs/benchmarks/goodput.md) as a bench policy.</summary>
internal static class GoodputPolicies
{
    /// <summary>The built-in profile the policy runs.</summary>
    private const string Profile = SchedulerOptions.PrefillWorkProfile;

#pragma warning disable CA2255 // The bench is an executable; registering at load keeps PolicyRegistry free of a Scheduling dependency.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        PolicyRegistry.Register("mesh-prefill-work", "InferenceMesh PREFILL_WORK (the PREFIX_CACHE default): predicted TTFT + fleet pressure x uncached prefill, a prefix group's spread bounded under pressure, flow-control queue",
            c => MeshPolicies.Create("mesh-prefill-work", c, Profile, queueing: true, prefix: true, prefixProfile: Profile));
        PolicyRegistry.Register("mesh-prefill-work-overflow", "mesh-prefill-work with OverflowWhenFull: a full band sends its oldest request on to the servers instead of answering the arrival 429",
            c => MeshPolicies.Create("mesh-prefill-work-overflow", c, Profile, queueing: true, prefix: true, prefixProfile: Profile, overflow: true));
        PolicyRegistry.Register("mesh-prefill-work-no-retention", "mesh-prefill-work with PlacementRetention 0: a prefix this replica sent a server is credited there however much was sent after it (before 2026-12-05)",
            c => MeshPolicies.Create("mesh-prefill-work-no-retention", c, Profile, queueing: true, prefix: true, prefixProfile: Profile, placementRetention: 0));
        PolicyRegistry.Register("mesh-prefill-work-no-feedback", "mesh-prefill-work without capacity feedback: the approximate index keeps the capacity it was given whatever hits the servers report",
            c => MeshPolicies.Create("mesh-prefill-work-no-feedback", c, Profile, queueing: true, prefix: true, prefixProfile: Profile, capacityFeedback: CapacityFeedbackMode.Off));
        PolicyRegistry.Register("mesh-prefill-work-feedback-always", "mesh-prefill-work with capacity feedback on every endpoint (CapacityFeedback Always), also where the servers' KV size is known",
            c => MeshPolicies.Create("mesh-prefill-work-feedback-always", c, Profile, queueing: true, prefix: true, prefixProfile: Profile, capacityFeedback: CapacityFeedbackMode.Always));
    }
}
