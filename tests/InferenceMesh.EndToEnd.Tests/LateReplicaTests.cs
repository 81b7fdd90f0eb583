using System.Globalization;
using InferenceMesh.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace InferenceMesh.EndToEnd.Tests;

/// <summary>A replica pair (ext-proc + scheduler) started in the middle of a run routes as well as the running replicas
/// from its first decisions: the prefix index is shared, so the conversations the others routed are found by the new
/// scheduler too. Measured with the model servers' own prefix-cache counters.</summary>
[Trait("Category", "EndToEnd")]
[Collection(ReplicaGroup.Name)]
public sealed class LateReplicaTests(ReplicaEnsembles ensembles, ITestOutputHelper output)
{
    private const int Conversations = 8;
    private const int TurnsBefore = 3;
    private const int TurnsAfter = 2;

    /// <summary>How far below the running replicas the new one may hit: the two sides' rates differ only by which
    /// conversations they got (all built alike) and by placements the load-aware scorers make differently; 5 points is
    /// the spread measured between the sides (docs/benchmarks/replicas.md) with room. A replica with a cold index of
    /// its own would hit nothing on these turns.</summary>
    private const double Margin = 0.05;

    [Fact]
    public async Task AReplicaPairStartedMidRun_HitsThePrefixCacheAsTheRunningReplicasDo()
    {
        var ensemble = ensembles.Replicated;
        var tag = Guid.NewGuid().ToString("N");
        var histories = new List<(string Role, string Content)>[Conversations];
        for (var c = 0; c < Conversations; c++)
            histories[c] = PrefixWorkload.Start(tag, c);

        // The running replicas route the first turns of every conversation.
        for (var c = 0; c < Conversations; c++)
        {
            for (var turn = 0; turn < TurnsBefore; turn++)
                await PrefixWorkload.TurnAsync(ensemble, ensemble.RetryingGateway, histories[c], turn);
        }

        var (late, lateScheduler) = await ensemble.StartLatePairAsync();

        // The next turns: even conversations through the new pair, odd ones through the running replicas. One request
        // at a time, so the servers' counters move for that request only.
        var sides = new (double Hits, double Queries)[2];
        for (var turn = TurnsBefore; turn < TurnsBefore + TurnsAfter; turn++)
        {
            for (var c = 0; c < Conversations; c++)
            {
                var side = c % 2;
                var (h0, q0) = await PrefixWorkload.CountersAsync(ensemble);
                await PrefixWorkload.TurnAsync(ensemble, side == 0 ? late : ensemble.RetryingGateway, histories[c], turn);
                var (h1, q1) = await PrefixWorkload.CountersAsync(ensemble);
                sides[side].Hits += h1 - h0;
                sides[side].Queries += q1 - q0;
            }
        }

        var lateRate = sides[0].Hits / sides[0].Queries;
        var othersRate = sides[1].Hits / sides[1].Queries;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"late scheduler {lateScheduler}: first {Conversations / 2 * TurnsAfter} decisions hit {lateRate:P2}; running replicas, same turns of the other conversations: {othersRate:P2}"));
        Assert.True(sides[0].Queries > 0 && sides[1].Queries > 0, "the servers counted no prefix-cache queries");
        Assert.True(lateRate > 0.2, $"the late replica hit only {lateRate:P2}: it did not find the conversations the others routed");
        Assert.True(lateRate >= othersRate - Margin, $"late replica {lateRate:P2} vs running replicas {othersRate:P2}");
    }
}
