using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

public sealed class PredictedTtftTests
{
    private static Fleet NewFleet(FakePrefixIndex index)
    {
        var fleet = new Fleet(prefix: index);
        fleet.Service.ConfigurePool(Fleet.Pool, new Dictionary<string, string> { [PoolAnnotations.RoutingStrategy] = SchedulerOptions.PredictedTtftProfile });
        return fleet;
    }

    private static ulong[] Hashes(int n)
    {
        var h = new ulong[n];
        for (var i = 0; i < n; i++)
            h[i] = (ulong)i + 1;
        return h;
    }

    [Fact]
    public async Task PredictedTtft_WarmEndpointWithRoom_WinsOverIdleColdOne()
    {
        var index = new FakePrefixIndex { Matches = { ["b:1"] = 100 } };
        using var fleet = NewFleet(index);
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1", waiting: 2, running: 10));

        var r = await fleet.Schedule(fleet.Request(hashes: Hashes(125), bytes: 8000)).Within();

        Assert.Equal("b:1", r.Endpoint);
    }

    [Fact]
    public async Task PredictedTtft_WarmEndpointSaturated_RefusesToPileOn()
    {
        var index = new FakePrefixIndex { Matches = { ["b:1"] = 100 } };
        using var fleet = NewFleet(index);
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1", waiting: 6, running: 10));

        var r = await fleet.Schedule(fleet.Request(hashes: Hashes(125), bytes: 8000)).Within();

        Assert.Equal("a:1", r.Endpoint);
    }

    [Fact]
    public async Task PredictedTtft_ColdPromptBurst_SpreadsByLoad()
    {
        using var fleet = NewFleet(new FakePrefixIndex());
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1"), Fleet.Endpoint("c:1"));
        var counts = new Dictionary<string, int>();

        for (var i = 0; i < 6; i++)
        {
            var r = await fleet.Schedule(fleet.Request(hashes: Hashes(10), bytes: 2000)).Within();
            counts[r.Endpoint!] = counts.GetValueOrDefault(r.Endpoint!) + 1;
        }

        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, n => Assert.Equal(2, n));
    }

    [Fact]
    public async Task PredictedTtft_KvNearlyFull_Penalised()
    {
        using var fleet = NewFleet(new FakePrefixIndex());
        fleet.Snapshot(Fleet.Endpoint("a:1", kv: 0.79, waiting: 1), Fleet.Endpoint("b:1", kv: 0.95));

        var r = await fleet.Schedule(fleet.Request(hashes: Hashes(10), bytes: 2000)).Within();

        Assert.Equal("a:1", r.Endpoint);
    }

    [Fact]
    public async Task PredictedTtft_LongPromptBacklog_StillSteersAwayAfterScrapeAbsorbsIt()
    {
        using var fleet = NewFleet(new FakePrefixIndex());
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1"));
        var first = await fleet.Schedule(fleet.Request(hashes: Hashes(10), bytes: 200_000)).Within(); // ≈ 50k tokens of prefill

        // The next scrape absorbs the dispatch and shows the other endpoint with a short queue; the long prefill still
        // running on the first is visible only in the local backlog.
        fleet.Snapshot(Fleet.Endpoint(first.Endpoint!), Fleet.Endpoint(first.Endpoint == "a:1" ? "b:1" : "a:1", waiting: 2));
        var second = await fleet.Schedule(fleet.Request(hashes: Hashes(10), bytes: 2000)).Within();

        Assert.NotEqual(first.Endpoint, second.Endpoint);
        Assert.Equal(0, fleet.Service.GetPoolStatus()[0].Endpoints[0].SinceSnapshot);
    }
}
