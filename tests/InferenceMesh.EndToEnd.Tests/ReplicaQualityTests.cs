using System.Globalization;
using InferenceMesh.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace InferenceMesh.EndToEnd.Tests;

/// <summary>Active-active keeps the routing quality of one replica: the same prefix-heavy workload through 3 ext-proc,
/// 3 scheduler and 2 prefix-index replicas (streams spread over the ext-proc replicas by the gateway) and through one of
/// each reaches the same prefix-cache hit rate, as the model servers count it.</summary>
[Trait("Category", "EndToEnd")]
[Collection(ReplicaGroup.Name)]
public sealed class ReplicaQualityTests(ReplicaEnsembles ensembles, ITestOutputHelper output)
{
    private const int Conversations = 12;
    private const int Turns = 5;

    /// <summary>A user's pause between turns: longer than a few scrapes (50 ms) plus the snapshot fan-out, so the next turn
    /// is scored on snapshots that show the previous turn finished, as a chat user's seconds of reading would be.</summary>
    private static readonly TimeSpan ThinkTime = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task ThreeReplicasOfEachPart_PrefixHitRate_WithinTwoPointsOfOneReplica()
    {
        var replicated = await HitRateAsync(ensembles.Replicated);
        var single = await HitRateAsync(ensembles.OneReplica);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"prefix hit rate (servers' vllm:prefix_cache_hits_total / queries_total), {Conversations} conversations x {Turns} turns: 3+3+2 replicas {replicated:P2}, 1+1+1 {single:P2}"));
        // The workload is built so that following the prefix matters: every turn after the first can hit.
        Assert.True(replicated > 0.2, $"3 replicas hit only {replicated:P2}: prefix affinity is not working");
        // Active-active must not cost hit rate (issue 13: within 2 points; runs of this test and their spread: docs/ha.md).
        Assert.True(replicated >= single - 0.02, $"3 replicas {replicated:P2} vs 1 replica {single:P2}");
    }

    /// <summary>Conversations (each its own long system prompt, so a first turn never hits) run one at a time; every turn
    /// resends the whole history. The rate is the servers' counters over the run. One at a time because with 4 at once
    /// the load-aware scorers made the rate swing by tens of points between runs of the same layout (38.7 % to 70.6 %
    /// for one replica), which hid what this test is about: whether a turn finds the replica-shared prefix. Back to back
    /// (no pause between turns) the rate still moved by 1–3 points per layout between runs (71.0 % to 74.5 % for one
    /// replica): a turn was sometimes scored on a snapshot taken while its previous turn still ran on the server that
    /// holds its history, and the load scorers sent it elsewhere.</summary>
    private static async Task<double> HitRateAsync(DistributedEnsemble ensemble)
    {
        var (hits0, queries0) = await PrefixWorkload.CountersAsync(ensemble);
        var tag = Guid.NewGuid().ToString("N");
        var next = -1;

        async Task Worker()
        {
            int c;
            while ((c = Interlocked.Increment(ref next)) < Conversations)
            {
                var history = PrefixWorkload.Start(tag, c);
                for (var turn = 0; turn < Turns; turn++)
                {
                    if (turn > 0)
                        await Task.Delay(ThinkTime);
                    await PrefixWorkload.TurnAsync(ensemble, ensemble.RetryingGateway, history, turn);
                }
            }
        }

        await Worker();
        var (hits1, queries1) = await PrefixWorkload.CountersAsync(ensemble);
        Assert.True(queries1 > queries0, "the servers counted no prefix-cache queries");
        return (hits1 - hits0) / (queries1 - queries0);
    }
}
