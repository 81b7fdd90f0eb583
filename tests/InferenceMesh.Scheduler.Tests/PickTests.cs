using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

public sealed class PickTests
{
    private static Dictionary<string, string> Strategy(string s) => new() { [PoolAnnotations.RoutingStrategy] = s };

    [Fact]
    public async Task Default_PrefersShorterQueueThenLowerKv()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 3, kv: 0.1), Fleet.Endpoint("b:1", waiting: 0, kv: 0.5), Fleet.Endpoint("c:1", waiting: 0, kv: 0.2));

        var r = await fleet.Schedule(fleet.Request()).Within();

        Assert.Equal("c:1", r.Endpoint);
        Assert.Equal(["b:1", "a:1"], r.Fallbacks);
    }

    [Fact]
    public async Task InFlight_BurstBetweenScrapes_SpreadsOverIdenticalEndpoints()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1"), Fleet.Endpoint("c:1"), Fleet.Endpoint("d:1"));
        var counts = new Dictionary<string, int>();

        for (var i = 0; i < 8; i++)
        {
            var r = await fleet.Schedule(fleet.Request()).Within();
            counts[r.Endpoint!] = counts.GetValueOrDefault(r.Endpoint!) + 1;
        }

        Assert.Equal(4, counts.Count);
        Assert.All(counts.Values, n => Assert.Equal(2, n));
        Assert.All(fleet.Service.GetPoolStatus()[0].Endpoints, e => Assert.Equal(2, e.SinceSnapshot));
    }

    [Fact]
    public async Task InFlight_NewerScrapeAbsorbsEarlierDispatches_ButKeepsLaterOnes()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("a:1"));
        await fleet.Schedule(fleet.Request()).Within();
        await fleet.Schedule(fleet.Request()).Within();
        var scrapedBetween = fleet.NowMs;
        fleet.Time.Advance(TimeSpan.FromMilliseconds(5));
        await fleet.Schedule(fleet.Request()).Within();

        fleet.Snapshot(Fleet.Endpoint("a:1", scrapedAtMs: scrapedBetween + 1));

        var a = fleet.Service.GetPoolStatus()[0].Endpoints[0];
        Assert.Equal(1, a.SinceSnapshot);
        Assert.Equal(3, a.InFlight);
    }

    [Fact]
    public async Task Lora_PoolOfAdapters_PrefersEndpointRunningTheAdapter()
    {
        using var fleet = new Fleet(new SchedulerOptions
        {
            ConfigText = """
                plugins:
                - type: queue-scorer
                - type: lora-affinity-scorer
                schedulingProfiles:
                - name: DEFAULT
                  plugins:
                  - pluginRef: queue-scorer
                    weight: 0.1
                  - pluginRef: lora-affinity-scorer
                """,
        });
        fleet.Snapshot(
            Fleet.Endpoint("a:1", runningLoras: ["x", "y"], maxLoras: 2),
            Fleet.Endpoint("b:1", waiting: 2, runningLoras: ["sql-lora"], maxLoras: 2),
            Fleet.Endpoint("c:1", runningLoras: ["x"], waitingLoras: ["sql-lora"], maxLoras: 1));

        var r = await fleet.Schedule(fleet.Request(model: "sql-lora")).Within();

        Assert.Equal("b:1", r.Endpoint);
        Assert.Equal(["c:1", "a:1"], r.Fallbacks);
    }

    [Fact]
    public async Task PrefixCacheWeighted_PrefersEndpointHoldingThePrefix()
    {
        var index = new FakePrefixIndex { Matches = { ["b:1"] = 8, ["c:1"] = 1 } };
        using var fleet = new Fleet(new SchedulerOptions { PrefixCacheProfile = PoolAnnotations.StrategyPrefixCache }, prefix: index);
        fleet.Service.ConfigurePool(Fleet.Pool, Strategy(PoolAnnotations.StrategyPrefixCache));
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1", waiting: 1), Fleet.Endpoint("c:1"));

        var r = await fleet.Schedule(fleet.Request(hashes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).Within();

        Assert.Equal("b:1", r.Endpoint);
        Assert.Equal(["a:1", "b:1", "c:1"], index.LastCandidates);
        Assert.Equal("m", index.LastModel);
    }

    [Theory]
    [InlineData(null, "DEFAULT")]
    [InlineData("DEFAULT", "DEFAULT")]
    [InlineData("PREFIX_CACHE", "PREFILL_WORK")]
    [InlineData("PRECISE_PREFIX_CACHE", "PREFILL_WORK")]
    [InlineData("PREDICTED_TTFT", "PREDICTED_TTFT")]
    [InlineData("NO_SUCH_PROFILE", "DEFAULT")]
    public void RoutingStrategyAnnotation_SelectsProfile(string? strategy, string expected)
    {
        using var fleet = new Fleet();
        fleet.Service.ConfigurePool(Fleet.Pool, strategy is null ? new Dictionary<string, string>() : Strategy(strategy));

        Assert.Equal(expected, fleet.Service.GetQueueStatus().Pools[0].Profile);
    }

    [Fact]
    public void PoolsOption_SetsStrategyWhenNoAnnotation()
    {
        var options = new SchedulerOptions();
        options.Pools[Fleet.Pool] = new PoolOptions { RoutingStrategy = "PREFIX_CACHE", UseQueueing = false };
        using var fleet = new Fleet(options);
        fleet.Snapshot(Fleet.Endpoint("a:1"));

        var pool = fleet.Service.GetQueueStatus().Pools[0];

        Assert.Equal("PREFILL_WORK", pool.Profile);
        Assert.False(pool.UseQueueing);
    }

    [Fact]
    public async Task Default_DoesNotAskThePrefixIndex()
    {
        var index = new FakePrefixIndex { Matches = { ["b:1"] = 8 } };
        using var fleet = new Fleet(prefix: index);
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1", waiting: 1));

        var r = await fleet.Schedule(fleet.Request(hashes: [1, 2])).Within();

        Assert.Equal("a:1", r.Endpoint);
        Assert.Equal(0, index.Calls);
    }

    [Fact]
    public async Task PrefixCache_IndexFails_FallsBackToNoMatch()
    {
        var index = new FakePrefixIndex { Fail = true };
        using var fleet = new Fleet(prefix: index);
        fleet.Service.ConfigurePool(Fleet.Pool, Strategy(PoolAnnotations.StrategyPrefixCache));
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 1), Fleet.Endpoint("b:1"));

        var r = await fleet.Schedule(fleet.Request(hashes: [1, 2])).Within();

        Assert.Equal(ScheduleOutcome.Scheduled, r.Outcome);
        Assert.Equal("b:1", r.Endpoint);
        Assert.Equal(1, index.Calls);
    }

    [Fact]
    public async Task Schedule_Scheduled_PublishesRoutingDecision()
    {
        var publisher = new RecordingPublisher();
        using var fleet = new Fleet(publisher: publisher);
        fleet.Snapshot(Fleet.Endpoint("a:1"));

        var r = await fleet.Schedule(fleet.Request(Criticality.Critical, hashes: [7, 8], id: "req-9")).Within();

        var d = Assert.Single(publisher.Decisions);
        Assert.Equal(("req-9", Fleet.Pool, "a:1", "replica-1", Criticality.Critical), (d.RequestId, d.Pool, d.Endpoint, d.SchedulerReplica, d.Criticality));
        Assert.Equal([7UL, 8UL], d.BlockHashes);
        Assert.Equal(r.Endpoint, d.Endpoint);
    }

    [Fact]
    public async Task Schedule_Rejected_PublishesNothing()
    {
        var publisher = new RecordingPublisher();
        using var fleet = new Fleet(publisher: publisher);
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 9));

        await fleet.Schedule(fleet.Request(Criticality.Sheddable)).Within();

        Assert.Empty(publisher.Decisions);
    }

    [Fact]
    public async Task TieBreak_SeededRandom_SpreadsEqualScores()
    {
        // A queue threshold the 30 dispatches cannot reach: this is about the tie-break, not the saturation gate.
        using var fleet = new Fleet(new SchedulerOptions
        {
            QueueThreshold = 100,
            ConfigText = "plugins:\n- type: kv-cache-utilization-scorer\nschedulingProfiles:\n- name: DEFAULT\n  plugins:\n  - pluginRef: kv-cache-utilization-scorer\n",
        });
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1"), Fleet.Endpoint("c:1"));
        var seen = new HashSet<string>();

        for (var i = 0; i < 30; i++)
            seen.Add((await fleet.Schedule(fleet.Request()).Within()).Endpoint!);

        Assert.Equal(3, seen.Count);
    }
}
