using InferenceMesh.Bench.Workloads;
using InferenceMesh.Contracts;

namespace InferenceMesh.Sim.Tests.Bench;

public sealed class GeneratorTests
{
    private static string Fingerprint(Workload w) => string.Join(
        ";",
        w.Requests.Select(r => $"{r.ArrivalMs:F3}|{r.InputTokens}|{r.OutputTokens}|{r.Model}|{r.Criticality}|{r.Session}|{string.Join(",", r.Segments.Select(s => s.Key))}"));

    [Theory]
    [InlineData("priority")]
    [InlineData("load-balancing")]
    [InlineData("multi-round-qa")]
    [InlineData("shared-prefix")]
    [InlineData("embedded")]
    public void Scenario_SameSeed_SameWorkload_OtherSeed_Different(string name)
    {
        var a = Scenarios.Create(name, 7, 60, ["x", "y"]);
        var b = Scenarios.Create(name, 7, 60, ["x", "y"]);
        var c = Scenarios.Create(name, 8, 60, ["x", "y"]);
        Assert.Equal(Fingerprint(a), Fingerprint(b));
        Assert.NotEqual(Fingerprint(a), Fingerprint(c));
    }

    [Fact]
    public void Random_LengthsStayInRange_AndEveryPromptStartsWithTheSharedPrefix()
    {
        var w = Generators.Random(1000, 3000, 3000, 0.2, 300, seed: 3, concurrency: 60);
        Assert.Equal(ArrivalMode.ClosedLoop, w.Mode);
        Assert.Equal(60, w.Concurrency);
        var first = PromptBlocks.BlockHashes(w.Requests[0].Segments);
        foreach (var r in w.Requests)
        {
            var input = r.InputTokens - 1000;
            Assert.InRange(input, 2400, 3600);
            Assert.InRange(r.OutputTokens, 2400, 3600);
            var h = PromptBlocks.BlockHashes(r.Segments);
            Assert.Equal(first.Take(1000 / 16), h.Take(1000 / 16));
        }

        Assert.NotEqual(first[1000 / 16], PromptBlocks.BlockHashes(w.Requests[1].Segments)[1000 / 16]);
    }

    [Fact]
    public void Priority_DealsCriticalAndStandardInEqualShares()
    {
        var w = Scenarios.Create("priority", 1);
        Assert.Equal(300, w.Requests.Count);
        Assert.Equal(150, w.Requests.Count(r => r.Criticality == Criticality.Critical));
        Assert.Equal(150, w.Requests.Count(r => r.Criticality == Criticality.Standard));
    }

    [Fact]
    public void MultiRoundQa_EachRoundExtendsTheUsersPreviousPrompt()
    {
        var w = Generators.MultiRoundQa(users: 3, rounds: 4, qps: 0.1, system: 100, history: 2000, answer: 100, seed: 5);
        Assert.Equal(12, w.Requests.Count);
        for (var u = 0; u < 3; u++)
        {
            var mine = w.Requests.Where(r => r.Session == u).ToList();
            Assert.Equal(4, mine.Count);
            Assert.Equal(u * 10_000.0, mine[0].ArrivalMs);
            for (var k = 1; k < mine.Count; k++)
            {
                Assert.Equal(30_000.0, mine[k].ThinkMs);
                Assert.Equal(mine[k - 1].InputTokens + 100 + 20, mine[k].InputTokens);
                var prev = PromptBlocks.BlockHashes(mine[k - 1].Segments);
                var cur = PromptBlocks.BlockHashes(mine[k].Segments);
                Assert.Equal(prev, cur.Take(prev.Length));
            }
        }

        // The system prompt is shared across users; the history is not.
        var a = PromptBlocks.BlockHashes(w.Requests[0].Segments);
        var b = PromptBlocks.BlockHashes(w.Requests[1].Segments);
        Assert.Equal(a[..6], b[..6]);
        Assert.NotEqual(a[7], b[7]);
    }

    [Fact]
    public void SharedPrefix_GroupsShareTheirSystemPrompt()
    {
        var w = Generators.SharedPrefix(groups: 4, perGroup: 5, system: 640, question: 64, output: 10, seed: 2, qps: 5);
        Assert.Equal(20, w.Requests.Count);
        var byFirstBlock = w.Requests.GroupBy(r => PromptBlocks.BlockHashes(r.Segments)[39]).ToList();
        Assert.Equal(4, byFirstBlock.Count);
        Assert.All(byFirstBlock, g => Assert.Equal(5, g.Count()));
        Assert.True(w.Requests.Zip(w.Requests.Skip(1)).All(p => p.First.ArrivalMs <= p.Second.ArrivalMs));
    }

    [Fact]
    public void LoadScale_CompressesTime()
    {
        var w = Generators.SharedPrefix(2, 3, 64, 16, 4, seed: 1, qps: 2);
        var s = w.ScaleLoad(2);
        Assert.Equal(w.Requests.Select(r => r.ArrivalMs / 2), s.Requests.Select(r => r.ArrivalMs));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.ScaleLoad(0));
    }

    [Fact]
    public void BlockHashes_DependOnTheModelSalt()
    {
        PromptSegment[] segs = [new PromptSegment(42, 64)];
        Assert.NotEqual(PromptBlocks.BlockHashes(segs, PromptBlocks.ModelSalt("a"))[0], PromptBlocks.BlockHashes(segs)[0]);
        Assert.Equal(PromptBlocks.BlockHashes(segs, PromptBlocks.ModelSalt(string.Empty)), PromptBlocks.BlockHashes(segs));
    }
}
