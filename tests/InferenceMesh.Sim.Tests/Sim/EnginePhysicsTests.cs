using InferenceMesh.VllmSim;
using static InferenceMesh.Sim.Tests.Sim.SimTestKit;

namespace InferenceMesh.Sim.Tests.Sim;

public sealed class EnginePhysicsTests
{
    private static SimRequest Run(SimServer server, SimRequest request)
    {
        server.Submit(request);
        server.RunUntilIdle();
        return request;
    }

    [Fact]
    public void RepeatedPrompt_SecondTtftLower_AndHitsRiseByCachedTokens()
    {
        var server = Server();
        var prompt = SimPrompt.FromText(new string('x', 4000) + "tail of the prompt");
        var first = Run(server, Request("a", prompt, 10));
        Assert.Equal(0, first.CachedTokens);
        var hitsBefore = server.PrefixCacheHits;

        server.AdvanceTo(server.NowMs + 1000);
        var second = Run(server, Request("b", prompt, 10));

        var expectedCached = (prompt.TokenCount - 1) / 16 * 16;
        Assert.Equal(expectedCached, second.CachedTokens);
        Assert.Equal(hitsBefore + expectedCached, server.PrefixCacheHits);
        Assert.True(second.TtftMs < first.TtftMs / 2, $"second TTFT {second.TtftMs} vs first {first.TtftMs}");
        Assert.Equal(2L * prompt.TokenCount, server.PrefixCacheQueries);
    }

    [Theory]
    [InlineData(32, 16)]   // the last token is always recomputed: a fully cached 2-block prompt reuses only 1 block
    [InlineData(33, 32)]
    [InlineData(47, 32)]
    [InlineData(15, 0)]
    public void CachedTokens_FollowVllmFormula(int tokens, int expected)
    {
        var server = Server();
        var prompt = Text("formula", tokens);
        Run(server, Request("warm", prompt, 1));
        Assert.Equal(expected, server.CachedPrefixTokens(prompt));
        var again = Run(server, Request("again", prompt, 1));
        Assert.Equal(expected, again.CachedTokens);
    }

    [Fact]
    public void SingleRequest_TtftAndTpot_FollowTheStepModel()
    {
        var p = SimProfile.L20;
        var server = Server(p);
        const int n = 1000;
        var r = Run(server, Request("one", Text("model", n), 5));

        var ttft = p.CpuOverheadMs + p.StepBaseMs + (p.PrefillMsPerToken * (n - p.EffectiveKneeTokens))
            + (p.ContextMsPerToken * n) + (p.AttentionMsPerTokenPair * n * (n + 1) / 2) + p.NewRequestOverheadMs;
        Assert.Equal(ttft, r.TtftMs, 6);
        // Decode step i holds context n + i (the previous token's KV is written in this step).
        var decode = 0.0;
        for (var i = 1; i < 5; i++)
            decode += p.CpuOverheadMs + p.StepBaseMs + (p.ContextMsPerToken * (n + i));
        Assert.Equal(decode / 4, r.TpotMs, 6);
        Assert.Equal(ttft + decode, r.E2eMs, 6);
    }

    [Fact]
    public void KvUsage_RisesWithConcurrentLongPrompts()
    {
        var server = Server(SimProfile.L20 with { NumGpuBlocks = 2000 });
        var usage = new List<double> { server.KvUsage };
        for (var i = 0; i < 4; i++)
        {
            server.Submit(Request($"r{i}", Text($"long{i}", 4000), 1000));
            server.AdvanceTo(server.NowMs + 1000);   // long enough to prefill each prompt, too short to finish its output
            usage.Add(server.KvUsage);
        }
        for (var i = 1; i < usage.Count; i++)
            Assert.True(usage[i] > usage[i - 1], $"usage did not rise: {string.Join(", ", usage)}");
        Assert.Equal(4, server.NumRunning);
        Assert.InRange(server.UsedBlocks, 4 * 251, 4 * 270);
        server.RunUntilIdle();
        Assert.Equal(0, server.KvUsage);
    }

    [Fact]
    public void Evictions_HappenAtCapacity_LeastRecentlyUsedFirst()
    {
        // 200 blocks hold three 1000-token prompts (63 blocks each) but not four.
        var server = Server(SimProfile.L20 with { NumGpuBlocks = 200 });
        var prompts = new SimPrompt[4];
        for (var i = 0; i < 4; i++)
            prompts[i] = Text($"p{i}", 1000);

        Run(server, Request("0", prompts[0], 1));
        Assert.Equal(0, server.Evictions);
        Assert.Equal(62, server.CachedBlocks);
        Run(server, Request("1", prompts[1], 1));
        Assert.Equal(0, server.Evictions);
        Run(server, Request("2", prompts[2], 1));
        Assert.Equal(0, server.Evictions);
        Run(server, Request("0-again", prompts[0], 1));   // touch p0: now p1 is least recently used
        Run(server, Request("3", prompts[3], 1));

        Assert.True(server.Evictions > 0);
        // p1 was least recently used: its blocks went first, tail first (freed in reverse), so only a prefix survives.
        var p1 = server.CachedPrefixTokens(prompts[1]);
        Assert.InRange(p1, 1, 991);
        Assert.Equal(992 - p1, (int)server.Evictions * 16);
        Assert.Equal(992, server.CachedPrefixTokens(prompts[0]));
        Assert.Equal(992, server.CachedPrefixTokens(prompts[2]));
        Assert.Equal(992, server.CachedPrefixTokens(prompts[3]));
        Assert.True(server.CachedBlocks <= server.NumGpuBlocks);
    }

    [Fact]
    public void Waiting_GrowsWhenMaxNumSeqsExceeded()
    {
        var server = Server(SimProfile.L20 with { MaxNumSeqs = 4 });
        for (var i = 0; i < 10; i++)
            server.Submit(Request($"r{i}", Text($"q{i}", 100), 20));
        server.AdvanceTo(server.NowMs + 1);   // the first step has started
        Assert.Equal(4, server.NumRunning);
        Assert.Equal(6, server.NumWaiting);

        var finished = new List<SimRequest>();
        server.RequestFinished = finished.Add;
        server.RunUntilIdle();
        Assert.Equal(10, finished.Count);
        Assert.Equal(0, server.NumWaiting);
        // FCFS: the last four waited for the first ones to finish.
        Assert.True(finished[9].QueueMs > 0);
        Assert.Equal(0, finished[0].QueueMs);
    }

    [Fact]
    public void ChunkedPrefill_SplitsLongPromptsByTheTokenBudget_AndDecodesContinue()
    {
        var server = Server(SimProfile.L20 with { MaxNumBatchedTokens = 512 });
        var decoding = Request("decoding", Text("short", 50), 40);
        server.Submit(decoding);
        server.AdvanceTo(100);   // short prompt prefilled, decoding
        var generatedBefore = decoding.GeneratedTokens;
        var stepsBefore = server.Steps;
        var longOne = Request("long", Text("long", 2000), 2);
        server.Submit(longOne);
        while (double.IsNaN(longOne.FirstTokenMs))
            Assert.True(server.RunNextEvent());
        // ceil(2000 / (512 − 1 decode token)) = 4 chunks, plus the step that started when the 4th ended;
        // the other request kept decoding meanwhile.
        Assert.Equal(5, server.Steps - stepsBefore);
        Assert.True(decoding.GeneratedTokens >= generatedBefore + 4);
    }

    [Fact]
    public void Preemption_WhenKvBlocksRunOut_RequestsStillFinish()
    {
        // 120 blocks; 4 requests of 400 prompt + 400 output tokens each need 50 blocks at the end.
        var server = Server(SimProfile.L20 with { NumGpuBlocks = 120 });
        var done = new List<SimRequest>();
        server.RequestFinished = done.Add;
        for (var i = 0; i < 4; i++)
            server.Submit(Request($"r{i}", Text($"pre{i}", 400), 400));
        server.RunUntilIdle();
        Assert.Equal(4, done.Count);
        Assert.True(server.Preemptions > 0);
        Assert.True(done.Exists(r => r.Preemptions > 0));
        foreach (var r in done)
            Assert.Equal(400, r.GeneratedTokens);
        Assert.Equal(0, server.UsedBlocks);
    }

    [Fact]
    public void Abort_FreesBlocks_AndRemovesTheRequest()
    {
        var server = Server();
        var r = Request("r", Text("abort", 1000), 100);
        server.Submit(r);
        server.AdvanceTo(500);
        Assert.True(server.UsedBlocks > 0);
        Assert.True(server.Abort(r));
        Assert.Equal(SimRequestState.Aborted, r.State);
        server.RunUntilIdle();
        Assert.Equal(0, server.UsedBlocks);
        Assert.Equal(0, server.NumRunning);
        Assert.Equal(1, server.RequestsAborted);
        Assert.Equal(0, server.RequestsFinished);
    }

    [Fact]
    public void Validate_RejectsPromptsBeyondMaxModelLen()
    {
        var server = Server(SimProfile.L20 with { MaxModelLen = 1000 });
        var error = server.Validate(Request("big", Text("big", 990), 20));
        Assert.NotNull(error);
        Assert.Contains("maximum context length is 1000", error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => server.Submit(Request("big2", Text("big", 990), 20)));
        Assert.Null(server.Validate(Request("ok", Text("ok", 900), 20)));
    }

    [Fact]
    public void PredictTtft_IsLowerWhereThePromptIsCached_AndHigherBehindAQueue()
    {
        var fleet = new SimFleet(Options(), 3);
        var prompt = Text("shared", 3000);
        fleet.Servers[0].Submit(Request("warm", prompt, 1));
        fleet.RunUntilIdle();
        for (var i = 0; i < 5; i++)
            fleet.Servers[2].Submit(Request($"q{i}", Text($"queue{i}", 3000), 100));

        var cached = fleet.Servers[0].PredictTtftMs(prompt);
        var idle = fleet.Servers[1].PredictTtftMs(prompt);
        var busy = fleet.Servers[2].PredictTtftMs(prompt);
        Assert.True(cached < idle, $"{cached} vs {idle}");
        Assert.True(idle < busy, $"{idle} vs {busy}");

        // The prediction for an idle server is the actual TTFT.
        var actual = Request("actual", prompt, 1);
        fleet.Servers[1].Submit(actual);
        fleet.RunUntilIdle();
        Assert.Equal(idle, actual.TtftMs, 6);
    }
}
