using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;

namespace InferenceMesh.PrefixIndex.Tests.Index;

/// <summary>One behaviour contract, run against every backend (memory, redis on a real redis-server, dapr through a
/// state-API stand-in).</summary>
public abstract class PrefixIndexContractTests
{
    private readonly Random _random = new(1234);

    protected PrefixIndexMetrics Metrics { get; } = new();

    /// <summary>A fresh, empty index (a new key prefix on shared stores).</summary>
    protected abstract Task<IPrefixIndex> CreateAsync(PrefixIndexOptions options);

    private static PrefixIndexOptions Options(int capacity = 1000) => new() { DefaultCapacity = capacity, KeyPrefix = "t" + Guid.NewGuid().ToString("N")[..10] };

    private ulong[] Chain(int length)
    {
        var chain = new ulong[length];
        for (var i = 0; i < length; i++)
            chain[i] = (ulong)_random.NextInt64() ^ ((ulong)i << 60);
        return chain;
    }

    private static ulong[] Diverge(ulong[] chain, int keep, int total)
    {
        var result = new ulong[total];
        chain.AsSpan(0, keep).CopyTo(result);
        for (var i = keep; i < total; i++)
            result[i] = chain[Math.Min(i, chain.Length - 1)] ^ 0xFFFF_0000_0000_0000UL ^ (ulong)i;
        return result;
    }

    [Fact]
    public async Task Match_EmptyIndex_ReturnsZeroPerCandidate()
    {
        var index = await CreateAsync(Options());
        var result = await index.MatchAsync("m", Chain(8), ["a", "b", "c"], default);
        Assert.Equal([0, 0, 0], result);
    }

    [Fact]
    public async Task Record_ThenMatch_ReturnsLeadingBlocksPerCandidate()
    {
        var index = await CreateAsync(Options());
        var chain = Chain(10);
        await index.RecordAsync("m", "10.0.0.1:8000", chain, default);
        await index.RecordAsync("m", "10.0.0.2:8000", chain.AsMemory(0, 4), default);

        var query = Diverge(chain, keep: 6, total: 12);
        var result = await index.MatchAsync("m", query, ["10.0.0.1:8000", "10.0.0.2:8000", "10.0.0.3:8000"], default);
        Assert.Equal([6, 4, 0], result);
        Assert.Equal(new[] { 10 }, await index.MatchAsync("m", chain, ["10.0.0.1:8000"], default));
    }

    [Fact]
    public async Task Match_IsScopedToTheModel()
    {
        var index = await CreateAsync(Options());
        var chain = Chain(5);
        await index.RecordAsync("model-a", "e", chain, default);
        Assert.Equal(new[] { 0 }, await index.MatchAsync("model-b", chain, ["e"], default));
        Assert.Equal(new[] { 5 }, await index.MatchAsync("model-a", chain, ["e"], default));
    }

    [Fact]
    public async Task MatchAndRecord_MatchesTheIndexAsItWasBeforeRecording()
    {
        var index = await CreateAsync(Options());
        var chain = Chain(7);
        Assert.Equal(new[] { 0, 0 }, await index.MatchAndRecordAsync("m", chain, ["a", "b"], "a", default));
        Assert.Equal(new[] { 7, 0 }, await index.MatchAndRecordAsync("m", chain, ["a", "b"], "b", default));
        Assert.Equal(new[] { 7, 7 }, await index.MatchAsync("m", chain, ["a", "b"], default));
    }

    [Fact]
    public async Task Capacity_EvictsOlderRecordsDeepestBlocksFirst()
    {
        var index = await CreateAsync(Options());
        await index.SetCapacityAsync("a", 4, default);
        var x = Chain(3);
        var y = Chain(3);
        await index.RecordAsync("m", "a", x, default);
        await index.RecordAsync("m", "a", y, default);

        Assert.Equal(new[] { 3 }, await index.MatchAsync("m", y, ["a"], default));
        Assert.Equal(new[] { 1 }, await index.MatchAsync("m", x, ["a"], default)); // x's shallow block survived
    }

    [Fact]
    public async Task Capacity_DefaultAppliesToEndpointsWithoutOne()
    {
        var index = await CreateAsync(Options(capacity: 5));
        var chain = Chain(8);
        await index.RecordAsync("m", "a", chain, default);
        Assert.Equal(new[] { 5 }, await index.MatchAsync("m", chain, ["a"], default));
    }

    [Fact]
    public async Task RecordAgain_RefreshesRecency()
    {
        var index = await CreateAsync(Options());
        await index.SetCapacityAsync("a", 6, default);
        var x = Chain(3);
        var y = Chain(3);
        var z = Chain(3);
        await index.RecordAsync("m", "a", x, default);
        await index.RecordAsync("m", "a", y, default);
        await index.RecordAsync("m", "a", x, default); // x is now more recent than y
        await index.RecordAsync("m", "a", z, default);

        var matched = new[]
        {
            (await index.MatchAsync("m", x, ["a"], default))[0],
            (await index.MatchAsync("m", y, ["a"], default))[0],
            (await index.MatchAsync("m", z, ["a"], default))[0],
        };
        Assert.Equal(new[] { 3, 0, 3 }, matched);
    }

    [Fact]
    public async Task PurgeEndpoint_ForgetsItInEveryModel_AndLeavesOthers()
    {
        var index = await CreateAsync(Options());
        var chain = Chain(4);
        await index.RecordAsync("m1", "gone", chain, default);
        await index.RecordAsync("m2", "gone", chain, default);
        await index.RecordAsync("m1", "stays", chain, default);

        Assert.Equal(8, await index.PurgeEndpointAsync("gone", default));

        Assert.Equal(new[] { 0, 4 }, await index.MatchAsync("m1", chain, ["gone", "stays"], default));
        Assert.Equal(new[] { 0 }, await index.MatchAsync("m2", chain, ["gone"], default));
        var stats = await index.StatsAsync(default);
        Assert.DoesNotContain(stats.Endpoints, e => e.Endpoint == "gone");

        // the endpoint can come back and starts empty
        await index.RecordAsync("m1", "gone", chain.AsMemory(0, 2), default);
        Assert.Equal(new[] { 2 }, await index.MatchAsync("m1", chain, ["gone"], default));
    }

    [Fact]
    public async Task Stats_ReportsEntriesAndCapacityPerEndpoint()
    {
        var index = await CreateAsync(Options(capacity: 100));
        await index.SetCapacityAsync("b", 3, default);
        await index.RecordAsync("m", "a", Chain(5), default);
        await index.RecordAsync("m", "b", Chain(5), default);

        var stats = await index.StatsAsync(default);
        Assert.Equal(index.Backend, stats.Backend);
        Assert.Equal(8, stats.TotalEntries);
        var a = Assert.Single(stats.Endpoints, e => e.Endpoint == "a");
        var b = Assert.Single(stats.Endpoints, e => e.Endpoint == "b");
        Assert.Equal(("m", 5L, 100), (a.Model, a.Entries, a.Capacity));
        Assert.Equal(("m", 3L, 3), (b.Model, b.Entries, b.Capacity));
    }

    [Fact]
    public async Task GetCapacity_IsTheDefaultUntilSet_AndAgainAfterPurge()
    {
        var index = await CreateAsync(Options(capacity: 777));
        Assert.Equal(777, await index.GetCapacityAsync("a", default));
        await index.SetCapacityAsync("a", 42, default);
        Assert.Equal(42, await index.GetCapacityAsync("a", default));
        Assert.Equal(777, await index.GetCapacityAsync("b", default));
        await index.RecordAsync("m", "a", Chain(3), default);
        await index.PurgeEndpointAsync("a", default);
        Assert.Equal(777, await index.GetCapacityAsync("a", default));
    }

    /// <summary>A capacity grown by feedback is the one the next records use: more distinct blocks stay matchable.</summary>
    [Fact]
    public async Task CapacityFeedback_Grows_ThenTheEndpointHoldsMoreBlocks()
    {
        var options = Options() with { MinCapacity = 10, CapacityGrowPerBlock = 0.5, CapacityShrinkPerBlock = 0.25 };
        var index = await CreateAsync(options);
        var feedback = (IPrefixCapacityFeedbackService)PrefixIndexFactory.CreateService(index, options, Metrics);
        await index.SetCapacityAsync("a", 100, default);
        var before = Chain(110);
        await index.RecordAsync("m", "a", before, default);
        Assert.Equal(new[] { 100 }, await index.MatchAsync("m", before, ["a"], default)); // the old capacity cut it

        var answer = await feedback.ApplyCapacityFeedbackAsync(new PrefixCapacityFeedback([new PrefixCapacityEvidence("a", 40, 0)]), default);
        Assert.Equal(120, answer.Capacities["a"]);
        Assert.Equal(120, await index.GetCapacityAsync("a", default));

        var after = Chain(110);
        await index.RecordAsync("m", "a", after, default);
        Assert.Equal(new[] { 110 }, await index.MatchAsync("m", after, ["a"], default));
    }

    [Fact]
    public async Task FullSizedRequest_256BlocksAnd8Candidates_Works()
    {
        var index = await CreateAsync(Options(capacity: 100_000));
        var chain = Chain(256);
        var candidates = Enumerable.Range(0, 8).Select(i => $"10.0.0.{i}:8000").ToArray();
        for (var i = 0; i < candidates.Length; i++)
            await index.RecordAsync("m", candidates[i], chain.AsMemory(0, i * 32), default);
        var result = await index.MatchAndRecordAsync("m", chain, candidates, candidates[0], default);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => i * 32), result);
        Assert.Equal(new[] { 256 }, await index.MatchAsync("m", chain, [candidates[0]], default));
    }

    [Fact]
    public async Task Match_DuplicateCandidates_AnswerEachPosition()
    {
        var index = await CreateAsync(Options());
        var chain = Chain(3);
        await index.RecordAsync("m", "a", chain, default);
        Assert.Equal(new[] { 3, 0, 3 }, await index.MatchAsync("m", chain, ["a", "b", "a"], default));
    }

    [Fact]
    public async Task ConcurrentCallers_EachSeeTheirOwnRecords()
    {
        var index = await CreateAsync(Options(capacity: 10_000));
        var chains = Enumerable.Range(0, 8).Select(_ => Chain(32)).ToArray();
        var endpoints = Enumerable.Range(0, 8).Select(i => $"10.9.0.{i}:8000").ToArray();
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var round = 0; round < 20; round++)
                await index.MatchAndRecordAsync("m", chains[w].AsMemory(0, 1 + round), endpoints, endpoints[w], default);
        })).ToArray();
        await Task.WhenAll(workers);

        for (var w = 0; w < 8; w++)
        {
            var expected = new int[8];
            expected[w] = 20;
            Assert.Equal(expected, await index.MatchAsync("m", chains[w], endpoints, default));
        }
    }
}
