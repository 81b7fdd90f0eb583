using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Sim.Tests.Bench;

/// <summary>The bench's approximate index under capacity feedback: the scheduler's evidence (servers' reported hits
/// against the index's match) moves the LRU's capacity by prefix-index's rule when the capacity is a guess.</summary>
public sealed class CapacityFeedbackBenchTests
{
    [Fact]
    public void GuessedCapacityTooSmall_FeedbackRecoversHitsTheIndexForgot()
    {
        // The servers hold 6,000 blocks each; the index was told 1,000 (an engine that never reported its size).
        var profile = SimFleetFactory.Profile("a10");
        var spec = new FleetSpec("a10", 4);
        var w = EvictionChat.Create(seed: 1, requests: 800);
        var results = ReplayRunner.Run(w, ["mesh-prefill-work", "mesh-prefill-work-no-feedback"], spec, SimFleetFactory.Engines(profile),
            SimFleetFactory.Describe(spec, profile, 50), new ReplayOptions(1, ApproxIndexCapacity: 1000), "test", 0.6);

        var withFeedback = results.Results.Single(r => r.Policy == "mesh-prefill-work");
        var without = results.Results.Single(r => r.Policy == "mesh-prefill-work-no-feedback");
        Assert.Equal(0, withFeedback.Errors);
        Assert.True(withFeedback.PrefixHitRate > without.PrefixHitRate,
            $"hit rate with feedback {withFeedback.PrefixHitRate:P1}, without {without.PrefixHitRate:P1}");
    }

    [Fact]
    public void FeedbackSteps_OfZero_MoveNothing()
    {
        // --capacity-feedback-steps 0,0: the evidence still flows, the capacity does not move: the same run as without feedback.
        var profile = SimFleetFactory.Profile("a10");
        var spec = new FleetSpec("a10", 4);
        var w = EvictionChat.Create(seed: 1, requests: 400);
        var results = ReplayRunner.Run(w, ["mesh-prefill-work", "mesh-prefill-work-no-feedback"], spec, SimFleetFactory.Engines(profile),
            SimFleetFactory.Describe(spec, profile, 50), new ReplayOptions(1, ApproxIndexCapacity: 1000, CapacityFeedbackSteps: (0, 0)), "test", 0.6);

        var hits = results.Results.ToDictionary(r => r.Policy, r => r.PrefixHitsTokens);
        Assert.Equal(hits["mesh-prefill-work-no-feedback"], hits["mesh-prefill-work"]);
    }

    [Fact]
    public void EngineReportedCapacity_IsLeftAlone_ByDefault()
    {
        // Without --approx-capacity the index has the servers' true size: the default moves nothing, so both run alike.
        var profile = SimFleetFactory.Profile("a10");
        var spec = new FleetSpec("a10", 4);
        var w = EvictionChat.Create(seed: 1, requests: 800);
        var results = ReplayRunner.Run(w, ["mesh-prefill-work", "mesh-prefill-work-no-feedback", "mesh-prefill-work-feedback-always"], spec,
            SimFleetFactory.Engines(profile), SimFleetFactory.Describe(spec, profile, 50), new ReplayOptions(1), "test", 0.6);

        var hits = results.Results.ToDictionary(r => r.Policy, r => r.PrefixHitsTokens);
        Assert.Equal(hits["mesh-prefill-work-no-feedback"], hits["mesh-prefill-work"]);
        // Always moves the engine-reported capacity too, and the placements differ.
        Assert.NotEqual(hits["mesh-prefill-work-no-feedback"], hits["mesh-prefill-work-feedback-always"]);
    }
}
