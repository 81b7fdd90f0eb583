using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;
using InferenceMesh.TestSupport;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>The servers' reported cache hits against the approximate index's promise at the pick, summed per endpoint and
/// sent to prefix-index every <see cref="SchedulerOptions.CapacityFeedbackIntervalMs"/>.</summary>
public sealed class CapacityFeedbackTests
{
    private const int BlockTokens = 16;

    /// <summary>A prefix index with fixed matches that also takes capacity feedback (or fails to).</summary>
    private sealed class FeedbackIndex : IPrefixIndexService, IPrefixCapacityFeedbackService
    {
        private readonly FakePrefixIndex _matches = new();

        public Dictionary<string, int> Matches => _matches.Matches;
        public List<PrefixCapacityFeedback> Received { get; } = [];
        public bool Fail { get; set; }
        public int Attempts { get; private set; }

        public ValueTask<PrefixMatchResponse> MatchAsync(PrefixMatchRequest request, CancellationToken cancellationToken) => _matches.MatchAsync(request, cancellationToken);

        public ValueTask RecordAsync(PrefixRecordRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<PrefixMatchResponse> MatchAndRecordAsync(PrefixMatchAndRecordRequest request, CancellationToken cancellationToken) =>
            _matches.MatchAndRecordAsync(request, cancellationToken);

        public ValueTask<PrefixCapacityFeedbackResponse> ApplyCapacityFeedbackAsync(PrefixCapacityFeedback feedback, CancellationToken cancellationToken)
        {
            Attempts++;
            if (Fail)
                throw new HttpRequestException("prefix-index down");
            Received.Add(feedback);
            return ValueTask.FromResult(new PrefixCapacityFeedbackResponse(new Dictionary<string, int>()));
        }
    }

    private static Fleet NewFleet(FeedbackIndex index, string strategy = PoolAnnotations.StrategyPrefixCache, int intervalMs = 2000)
    {
        var fleet = new Fleet(new SchedulerOptions { CapacityFeedbackIntervalMs = intervalMs }, index);
        fleet.Service.ConfigurePool(Fleet.Pool, new Dictionary<string, string> { [PoolAnnotations.RoutingStrategy] = strategy });
        fleet.Snapshot(Fleet.Endpoint("a:1"));
        return fleet;
    }

    /// <summary>Schedules a 20-block prompt (the index promises a:1 10 of them) and completes it with the server's hit.</summary>
    private static async Task Serve(Fleet fleet, string id, int? cachedTokens, int status = 200)
    {
        var r = await fleet.Schedule(fleet.Request(id: id, hashes: [.. Enumerable.Range(1, 20).Select(i => (ulong)i)])).Within();
        Assert.Equal("a:1", r.Endpoint);
        Assert.True(fleet.Service.Complete(new RequestCompletion(id, "replica-1", "a:1", status, 320, 10, fleet.NowMs) { CachedTokens = cachedTokens }));
    }

    [Fact]
    public async Task ServedLessOrMoreThanPromised_IsSummedPerEndpointInBlocks()
    {
        var index = new FeedbackIndex { Matches = { ["a:1"] = 10 } };
        using var fleet = NewFleet(index);

        await Serve(fleet, "less", 4 * BlockTokens);          // 6 blocks promised, not served
        await Serve(fleet, "more", (15 * BlockTokens) + 3);   // 5 served beyond the promise (a partial block does not count)
        await Serve(fleet, "all", 40 * BlockTokens);          // capped at the prompt's 20 blocks: 10 more
        await Serve(fleet, "same", 10 * BlockTokens);         // as promised: nothing

        var e = Assert.Single(fleet.Service.TakeCapacityEvidence());
        Assert.Equal(new PrefixCapacityEvidence("a:1", 15, 6), e);
        Assert.Empty(fleet.Service.TakeCapacityEvidence());
    }

    [Theory]
    [InlineData(160, 320, 20, 10)]        // 16 tokens a block, as configured
    [InlineData(213, 427, 20, 9)]         // the prompt's own tokenizer: 3 characters a token, 21 tokens a 64-character block
    [InlineData(427, 427, 20, 20)]        // all of it (not 26 blocks at 16 tokens)
    [InlineData(50_000, 100_000, 256, 256)] // hashes cover the first 256 blocks of a long prompt: its leading 4,096 tokens are cached
    [InlineData(100, 0, 20, 6)]           // no prompt tokens reported: the configured 16 a block
    public void ServedTokens_AreCountedInTheIndexsBlocks(int cached, int promptTokens, int totalBlocks, int expected) =>
        Assert.Equal(expected, CapacityEvidence.ServedBlocks(cached, promptTokens, totalBlocks, BlockTokens));

    [Fact]
    public async Task OneBlockEitherWay_IsRounding_NotEvidence()
    {
        var index = new FeedbackIndex { Matches = { ["a:1"] = 10 } };
        using var fleet = NewFleet(index);
        await Serve(fleet, "one-less", 9 * BlockTokens);
        await Serve(fleet, "one-more", 11 * BlockTokens);
        Assert.Empty(fleet.Service.TakeCapacityEvidence());
    }

    [Fact]
    public async Task NoReportedHit_AFailure_OrAPrecisePool_AddNothing()
    {
        var index = new FeedbackIndex { Matches = { ["a:1"] = 10 } };
        using (var fleet = NewFleet(index))
        {
            await Serve(fleet, "unreported", null);
            await Serve(fleet, "failed", 0, status: 500);
            Assert.Empty(fleet.Service.TakeCapacityEvidence());
        }
        // A precise pool's match comes from the engines' KV events, not from the capacity-bound LRU.
        using var precise = NewFleet(index, PoolAnnotations.StrategyPrecisePrefixCache);
        await Serve(precise, "precise", 0);
        Assert.Empty(precise.Service.TakeCapacityEvidence());
    }

    [Fact]
    public async Task Evidence_IsSentEveryInterval_AndKeptWhenTheSendFails()
    {
        var index = new FeedbackIndex { Matches = { ["a:1"] = 10 }, Fail = true };
        using var fleet = NewFleet(index, intervalMs: 2000);
        await Serve(fleet, "r1", 2 * BlockTokens);

        // The timer ticks every TickMs and sends what is due: the send fails.
        fleet.Time.Advance(TimeSpan.FromMilliseconds(2100));
        await Poll.UntilAsync(() => index.Attempts == 1, "the failed send");
        Assert.Empty(index.Received);

        // The next round carries the kept evidence and the new.
        index.Fail = false;
        fleet.Snapshot(Fleet.Endpoint("a:1"));
        await Serve(fleet, "r2", 12 * BlockTokens);
        fleet.Time.Advance(TimeSpan.FromMilliseconds(2100));
        await Poll.UntilAsync(() => index.Received.Count > 0, "the feedback");
        Assert.Equal(2, index.Attempts);
        var e = Assert.Single(Assert.Single(index.Received).Endpoints);
        Assert.Equal(new PrefixCapacityEvidence("a:1", 2, 8), e);
    }

    [Fact]
    public async Task IntervalZero_SendsNothing()
    {
        var index = new FeedbackIndex { Matches = { ["a:1"] = 10 } };
        using var fleet = NewFleet(index, intervalMs: 0);
        await Serve(fleet, "r1", 0);
        fleet.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(index.Received);
        Assert.Equal(new PrefixCapacityEvidence("a:1", 0, 10), Assert.Single(fleet.Service.TakeCapacityEvidence()));
    }
}
