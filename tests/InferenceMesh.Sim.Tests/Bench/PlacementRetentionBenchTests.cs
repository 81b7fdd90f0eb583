using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Sim.Tests.Bench;

/// <summary>The mesh policies' <c>Scheduler:PlacementRetention</c> in the bench: the default ages recent placements with
/// the servers' cache; <c>mesh-prefill-work-no-retention</c> and <c>--placement-retention 0</c> do not.</summary>
public sealed class PlacementRetentionBenchTests
{
    private static Dictionary<string, (double PrefixHits, double TtftP90)> Run(ReplayOptions options, params string[] policies)
    {
        // The whole overloaded agentic replay on 3 x A10 (its agents' contexts outgrow the servers' caches past the first minutes).
        var profile = SimFleetFactory.Profile("a10");
        var spec = new FleetSpec("a10", 3);
        var w = AgenticDocQa.Create(seed: 1);
        var results = ReplayRunner.Run(w, policies, spec, SimFleetFactory.Engines(profile), SimFleetFactory.Describe(spec, profile, 50), options, "test", 1.0);
        return results.Results.ToDictionary(r => r.Policy, r => ((double)r.PrefixHitsTokens, r.TtftMs.P90));
    }

    [Fact]
    public void RetentionZero_IsTheNoRetentionPolicy_AndTheDefaultDiffers()
    {
        var byDefault = Run(new ReplayOptions(1), "mesh-prefill-work", "mesh-prefill-work-no-retention");
        var zero = Run(new ReplayOptions(1, PlacementRetention: 0), "mesh-prefill-work");

        // --placement-retention 0 reaches the scheduler: the same run as the policy that never ages placements.
        Assert.Equal(byDefault["mesh-prefill-work-no-retention"], zero["mesh-prefill-work"]);
        // The default ages them, and so places differently on this overloaded replay.
        Assert.NotEqual(byDefault["mesh-prefill-work-no-retention"], byDefault["mesh-prefill-work"]);
    }
}
