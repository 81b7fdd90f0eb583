using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Report;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Sim.Tests.Bench;

/// <summary><c>bench replay --replicas N</c>: spreading, the late replica, and that one replica replays as before.</summary>
public sealed class ReplicaReplayTests
{
    private static readonly VllmSim.SimProfile Profile = SimFleetFactory.Profile("l20") with { NumGpuBlocks = 4000 };

    private static BenchResults Run(Workload w, IReadOnlyList<string> policies, ReplicaOptions? replicas)
    {
        var spec = new FleetSpec("l20", 3);
        return ReplayRunner.Run(w, policies, spec, SimFleetFactory.Engines(Profile), SimFleetFactory.Describe(spec, Profile, 50),
            new ReplayOptions(3, KeepSeries: false, Replicas: replicas), "test", 1.0);
    }

    [Fact]
    public void OneReplica_ReplaysExactlyAsAPlainReplay()
    {
        var w = ReplayTests.SmallConversationTrace();
        var plain = Run(w, ["mesh-predicted", "least-request"], null);
        var one = Run(w, ["mesh-predicted", "least-request"], new ReplicaOptions(1));

        for (var i = 0; i < plain.Results.Count; i++)
        {
            Assert.Equal(plain.Results[i].TtftMs, one.Results[i].TtftMs);
            Assert.Equal(plain.Results[i].PrefixHitsTokens, one.Results[i].PrefixHitsTokens);
        }
    }

    [Fact]
    public void RoundRobinSpread_GivesEveryReplicaItsShare_AndEveryRequestCompletes()
    {
        var w = ReplayTests.SmallConversationTrace(sessions: 12, rounds: 4);
        var results = Run(w, ["mesh-predicted", "gie-reference"], new ReplicaOptions(4, SnapshotDelayMs: 5, IndexDelayMs: 10, EventDelayMs: 5));

        foreach (var r in results.Results)
        {
            Assert.Equal(w.Requests.Count, r.Completed);
            Assert.Equal([12, 12, 12, 12], r.Replicas!.RequestsPerReplica);
            Assert.Equal(4, r.Replicas.Replicas);
        }
    }

    [Fact]
    public void LateReplica_GetsNoRequestBeforeItJoins_AndCountsItsFirstDecisions()
    {
        var w = ReplayTests.SmallConversationTrace(sessions: 16, rounds: 6);
        var joinAt = w.Requests[w.Requests.Count / 2].ArrivalMs;
        var results = Run(w, ["mesh-predicted"], new ReplicaOptions(3, PrefixState: PrefixState.PerReplica, ShareInFlight: false, JoinAtMs: joinAt, JoinDecisions: 5));

        var r = results.Results[0].Replicas!;
        Assert.Equal(w.Requests.Count, r.RequestsPerReplica.Sum());
        // Before the join two replicas share the first half; after it three share the rest.
        Assert.True(r.RequestsPerReplica[2] < r.RequestsPerReplica[0]);
        Assert.True(r.RequestsPerReplica[2] > 0);
        Assert.Equal(5, r.Join!.LateDecisions);
        Assert.True(r.Join.OtherDecisions > 0);
        Assert.InRange(r.Join.LateHitRate, 0, 1);
    }

    [Fact]
    public void ReplicaTable_ComparesEachVariantWithItsOneReplicaRun()
    {
        var w = ReplayTests.SmallConversationTrace();
        var one = Run(w, ["mesh-predicted"], new ReplicaOptions(1));
        var two = Run(w, ["mesh-predicted"], new ReplicaOptions(2));

        var table = ReplicaTable.Render([one, two]);

        Assert.Contains("| mesh-predicted | shared | shared | 1 |", table, StringComparison.Ordinal);
        Assert.Contains("| mesh-predicted | shared | shared | 2 |", table, StringComparison.Ordinal);
        Assert.Contains(" pp |", table, StringComparison.Ordinal);
    }
}
