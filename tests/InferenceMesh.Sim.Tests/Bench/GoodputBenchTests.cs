using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Sim.Tests.Bench;

/// <summary>The goodput pieces of the bench: the agentic-docqa workload, best-of-perfect-info and the goodput figures.</summary>
public sealed class GoodputBenchTests
{
    private static readonly VllmSim.SimProfile Profile = SimFleetFactory.Profile("l20") with { NumGpuBlocks = 4000 };

    private static BenchResults Run(Workload w, IReadOnlyList<string> policies)
    {
        var spec = new FleetSpec("l20", 3);
        return ReplayRunner.Run(w, policies, spec, SimFleetFactory.Engines(Profile), SimFleetFactory.Describe(spec, Profile, 50), new ReplayOptions(3), "test", 1.0);
    }

    [Fact]
    public void AgenticDocQa_SameSeed_SameWorkload_OtherSeed_Another()
    {
        var a = Scenarios.Create(AgenticDocQa.Name, seed: 5, requests: 200);
        var b = Scenarios.Create(AgenticDocQa.Name, seed: 5, requests: 200);
        var c = Scenarios.Create(AgenticDocQa.Name, seed: 6, requests: 200);

        Assert.Equal(a.Requests.Count, b.Requests.Count);
        for (var i = 0; i < a.Requests.Count; i++)
        {
            Assert.Equal(a.Requests[i].ArrivalMs, b.Requests[i].ArrivalMs);
            Assert.Equal(a.Requests[i].Segments, b.Requests[i].Segments);
        }

        Assert.NotEqual(a.Requests.Select(r => r.InputTokens), c.Requests.Select(r => r.InputTokens));
    }

    [Fact]
    public void AgenticDocQa_AgentsGrowTheirContext_DocumentsShareTheirText()
    {
        var w = Scenarios.Create(AgenticDocQa.Name, seed: 1, requests: 200);

        // Agent steps are sessions whose prompt extends the previous step's; questions on one document share it whole.
        var sessions = w.Requests.Where(r => r.Session >= 0).GroupBy(r => r.Session).ToList();
        Assert.NotEmpty(sessions);
        foreach (var s in sessions)
        {
            var steps = s.ToList();
            for (var k = 1; k < steps.Count; k++)
            {
                Assert.True(steps[k].InputTokens > steps[k - 1].InputTokens);
                Assert.Equal(steps[k - 1].Segments, steps[k].Segments.Take(steps[k - 1].Segments.Count));
                Assert.True(steps[k].ThinkMs > 0);
            }
        }

        var documents = w.Requests.Where(r => r.Session < 0).GroupBy(r => r.Segments[1].Key).ToList();
        Assert.Contains(documents, d => d.Count() >= 4);
        Assert.All(documents, d => Assert.InRange(d.First().Segments[1].Tokens, 6000, 16000));
    }

    [Fact]
    public void BestOfPerfectInfo_KeepsTheMemberWithTheLowestP90_AndNamesIt()
    {
        var w = ReplayTests.SmallConversationTrace();

        var results = Run(w, [.. PerfectInfoPolicies.Members, PerfectInfoPolicies.BestOf]);

        var members = results.Results.Take(PerfectInfoPolicies.Members.Count).ToList();
        var best = results.Results[^1];
        var expected = members.OrderBy(r => r.Errors).ThenBy(r => r.TtftMs.P90).First();
        Assert.Equal($"{PerfectInfoPolicies.BestOf} = {expected.Policy}", best.Policy);
        Assert.Equal(expected.TtftMs, best.TtftMs);
        Assert.All(members, m => Assert.True(best.TtftMs.P90 <= m.TtftMs.P90));
    }

    [Fact]
    public void GoodputFigures_CountPrefillWorkEvictionsAndGroupSpread()
    {
        var w = Scenarios.Create(AgenticDocQa.Name, seed: 1, requests: 120);

        var results = Run(w, ["round-robin", GreedyPerfectInfoPolicy.PolicyName]);

        var rr = results.Results[0].Goodput!;
        var greedy = results.Results[1].Goodput!;
        Assert.Equal(results.Results[0].PrefixQueriesTokens - results.Results[0].PrefixHitsTokens, rr.PrefillTokensComputed);
        Assert.True(rr.Groups > 0);
        Assert.InRange(rr.GroupServersMean, 1, 3);
        Assert.True(rr.GroupServersMean > greedy.GroupServersMean, "round-robin spreads a conversation over more servers than a cache-following policy");
        Assert.Equal(0, rr.Rejected);
    }
}
