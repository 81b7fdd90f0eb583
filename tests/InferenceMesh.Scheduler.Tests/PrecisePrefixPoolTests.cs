using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>PRECISE_PREFIX_CACHE pools take their prefix match from the precise lookup; other pools from the approximate one.</summary>
public sealed class PrecisePrefixPoolTests
{
    /// <summary>The approximate index believes b:1 holds the prompt; the engines' events say c:1.</summary>
    private sealed class TwoViews : IPrefixIndexService, IPrecisePrefixIndexService
    {
        public int Approximate { get; private set; }
        public int Precise { get; private set; }

        public ValueTask<PrefixMatchResponse> MatchAsync(PrefixMatchRequest request, CancellationToken cancellationToken)
        {
            Approximate++;
            return ValueTask.FromResult(new PrefixMatchResponse(new Dictionary<string, int> { ["b:1"] = 8 }, request.BlockHashes.Count));
        }

        public ValueTask<PrefixMatchResponse> MatchPreciseAsync(PrefixMatchRequest request, CancellationToken cancellationToken)
        {
            Precise++;
            return ValueTask.FromResult(new PrefixMatchResponse(new Dictionary<string, int> { ["c:1"] = 8 }, request.BlockHashes.Count));
        }

        public ValueTask RecordAsync(PrefixRecordRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<PrefixMatchResponse> MatchAndRecordAsync(PrefixMatchAndRecordRequest request, CancellationToken cancellationToken) =>
            MatchAsync(new PrefixMatchRequest(request.Model, request.BlockHashes, request.Candidates), cancellationToken);
    }

    private static async Task<string?> RouteAsync(string strategy, IPrefixIndexService index)
    {
        using var fleet = new Fleet(prefix: index);
        fleet.Service.ConfigurePool(Fleet.Pool, new Dictionary<string, string> { [PoolAnnotations.RoutingStrategy] = strategy });
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1"), Fleet.Endpoint("c:1"));
        return (await fleet.Schedule(fleet.Request(hashes: [1, 2, 3, 4, 5, 6, 7, 8])).Within()).Endpoint;
    }

    [Fact]
    public async Task Precise_pool_asks_the_precise_lookup_only()
    {
        var index = new TwoViews();
        Assert.Equal("c:1", await RouteAsync(PoolAnnotations.StrategyPrecisePrefixCache, index));
        Assert.Equal((1, 0), (index.Precise, index.Approximate));
    }

    [Fact]
    public async Task Prefix_cache_pool_asks_the_approximate_index_only()
    {
        var index = new TwoViews();
        Assert.Equal("b:1", await RouteAsync(PoolAnnotations.StrategyPrefixCache, index));
        Assert.Equal((0, 1), (index.Precise, index.Approximate));
    }

    [Fact]
    public async Task Precise_pool_with_an_index_that_has_no_precise_lookup_uses_the_approximate_match()
    {
        var index = new FakePrefixIndex { Matches = { ["b:1"] = 8 } };
        Assert.Equal("b:1", await RouteAsync(PoolAnnotations.StrategyPrecisePrefixCache, index));
        Assert.Equal(1, index.Calls);
    }
}
