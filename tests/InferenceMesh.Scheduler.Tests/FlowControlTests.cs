using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

public sealed class FlowControlTests
{
    private static EndpointMetrics Busy(string address) => Fleet.Endpoint(address, waiting: 10);

    [Fact]
    public async Task Schedule_PoolNotSaturated_DispatchesAtOnce()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("a:1"), Busy("b:1"));

        var r = await fleet.Schedule(fleet.Request()).Within();

        Assert.Equal(ScheduleOutcome.Scheduled, r.Outcome);
        Assert.Equal(200, r.StatusCode);
        Assert.Equal("a:1", r.Endpoint);
        Assert.Equal(["b:1"], r.Fallbacks);
        Assert.Equal("replica-1", r.SchedulerReplica);
        Assert.Equal(1, fleet.Service.OutcomeCount(Criticality.Standard, ScheduleOutcome.Scheduled));
    }

    [Fact]
    public async Task Schedule_SheddableWhileSaturated_Rejected429AndCounted()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Busy("a:1"), Fleet.Endpoint("b:1", waiting: 6, kv: 0.95));

        var r = await fleet.Schedule(fleet.Request(Criticality.Sheddable)).Within();

        Assert.Equal(ScheduleOutcome.Shed, r.Outcome);
        Assert.Equal(429, r.StatusCode);
        Assert.Contains("saturated", r.Reason, StringComparison.Ordinal);
        Assert.Equal(1, fleet.Service.OutcomeCount(Criticality.Sheddable, ScheduleOutcome.Shed));
    }

    [Fact]
    public async Task Schedule_SheddableWithCapacity_Dispatched()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Busy("a:1"), Fleet.Endpoint("b:1"));

        var r = await fleet.Schedule(fleet.Request(Criticality.Sheddable)).Within();

        Assert.Equal(ScheduleOutcome.Scheduled, r.Outcome);
        Assert.Equal("b:1", r.Endpoint);
    }

    [Fact]
    public async Task Release_UnderSaturation_ServesCriticalBeforeStandardInArrivalOrder()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Busy("a:1"));
        var s1 = fleet.Schedule(fleet.Request(Criticality.Standard, id: "s1"));
        var c1 = fleet.Schedule(fleet.Request(Criticality.Critical, id: "c1"));
        var s2 = fleet.Schedule(fleet.Request(Criticality.Standard, id: "s2"));
        var c2 = fleet.Schedule(fleet.Request(Criticality.Critical, id: "c2"));
        Assert.Equal(2, fleet.Queued(Criticality.Critical));
        Assert.Equal(2, fleet.Queued(Criticality.Standard));

        var pending = new List<Task<ScheduleResponse>> { s1, c1, s2, c2 };
        foreach (var expected in new[] { c1, c2, s1, s2 })
        {
            // waiting 5 of threshold 5 is not saturated; the one released dispatch makes it 6 and saturated again.
            fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 5));
            var r = await expected.Within();
            Assert.Equal(ScheduleOutcome.Scheduled, r.Outcome);
            pending.Remove(expected);
            Assert.All(pending, t => Assert.False(t.IsCompleted));
        }
    }

    [Fact]
    public async Task Release_InsideBand_RoundRobinsFlowsAndKeepsFcfsInsideAFlow()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Busy("a:1"));
        var a1 = fleet.Schedule(fleet.Request(flow: "tenant-a", id: "a1"));
        var a2 = fleet.Schedule(fleet.Request(flow: "tenant-a", id: "a2"));
        var a3 = fleet.Schedule(fleet.Request(flow: "tenant-a", id: "a3"));
        var b1 = fleet.Schedule(fleet.Request(flow: "tenant-b", id: "b1"));

        var pending = new List<Task<ScheduleResponse>> { a1, a2, a3, b1 };
        foreach (var expected in new[] { a1, b1, a2, a3 })
        {
            fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 5));
            await expected.Within();
            pending.Remove(expected);
            Assert.All(pending, t => Assert.False(t.IsCompleted));
        }
    }

    [Fact]
    public async Task Schedule_BandFullByCount_Rejected429QueueFull()
    {
        using var fleet = new Fleet(new SchedulerOptions { BandMaxRequests = 2 });
        fleet.Snapshot(Busy("a:1"));
        _ = fleet.Schedule(fleet.Request());
        _ = fleet.Schedule(fleet.Request());

        var r = await fleet.Schedule(fleet.Request()).Within();
        var critical = fleet.Schedule(fleet.Request(Criticality.Critical));

        Assert.Equal(ScheduleOutcome.QueueFull, r.Outcome);
        Assert.Equal(429, r.StatusCode);
        Assert.False(critical.IsCompleted); // bands are bounded separately
        Assert.Equal(1, fleet.Service.OutcomeCount(Criticality.Standard, ScheduleOutcome.QueueFull));
    }

    [Fact]
    public async Task Schedule_BandFullByBytes_Rejected429QueueFull()
    {
        using var fleet = new Fleet(new SchedulerOptions { BandMaxBytes = 5000 });
        fleet.Snapshot(Busy("a:1"));
        _ = fleet.Schedule(fleet.Request(bytes: 4000));

        var r = await fleet.Schedule(fleet.Request(bytes: 2000)).Within();

        Assert.Equal(ScheduleOutcome.QueueFull, r.Outcome);
        Assert.Contains("4000 bytes", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schedule_BandFullWithOverflow_OldestGoesOnToTheServersAndTheArrivalQueues()
    {
        using var fleet = new Fleet(new SchedulerOptions { BandMaxRequests = 2, OverflowWhenFull = true });
        fleet.Snapshot(Busy("a:1"));
        var oldest = fleet.Schedule(fleet.Request());
        var next = fleet.Schedule(fleet.Request());

        var arrival = fleet.Schedule(fleet.Request());
        var r = await oldest.Within();

        Assert.Equal(ScheduleOutcome.Scheduled, r.Outcome);
        Assert.Equal("a:1", r.Endpoint);
        Assert.False(next.IsCompleted);
        Assert.False(arrival.IsCompleted);
        Assert.Equal(2, fleet.Queued(Criticality.Standard));
        Assert.Equal(0, fleet.Service.OutcomeCount(Criticality.Standard, ScheduleOutcome.QueueFull));
    }

    [Fact]
    public async Task Schedule_OverflowAndArrivalLargerThanTheBand_EverythingGoesOn()
    {
        using var fleet = new Fleet(new SchedulerOptions { BandMaxBytes = 5000, OverflowWhenFull = true });
        fleet.Snapshot(Busy("a:1"));
        var queued = fleet.Schedule(fleet.Request(bytes: 4000));

        var big = await fleet.Schedule(fleet.Request(bytes: 6000)).Within();

        Assert.Equal(ScheduleOutcome.Scheduled, (await queued.Within()).Outcome);
        Assert.Equal(ScheduleOutcome.Scheduled, big.Outcome);
        Assert.Equal(0, fleet.Queued(Criticality.Standard));
    }

    [Fact]
    public async Task Queue_RequestTtlPasses_Expired503()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Busy("a:1"));
        var shortTtl = fleet.Schedule(fleet.Request(ttlMs: 100));
        var defaultTtl = fleet.Schedule(fleet.Request());

        fleet.Time.Advance(TimeSpan.FromMilliseconds(150));
        var r = await shortTtl.Within();

        Assert.Equal(ScheduleOutcome.Expired, r.Outcome);
        Assert.Equal(503, r.StatusCode);
        Assert.True(r.QueuedMs >= 100);
        Assert.False(defaultTtl.IsCompleted);
        Assert.Equal(1, fleet.Queued(Criticality.Standard));

        fleet.Time.Advance(TimeSpan.FromMilliseconds(fleet.Options.DefaultTtlMs));
        Assert.Equal(ScheduleOutcome.Expired, (await defaultTtl.Within()).Outcome);
        Assert.Equal(2, fleet.Service.OutcomeCount(Criticality.Standard, ScheduleOutcome.Expired));
    }

    [Fact]
    public async Task Queue_CallerCancels_FreesSlotAndAnswersCancelled()
    {
        using var fleet = new Fleet(new SchedulerOptions { BandMaxRequests = 1 });
        fleet.Snapshot(Busy("a:1"));
        using var cts = new CancellationTokenSource();
        var first = fleet.Schedule(fleet.Request(), cts.Token);
        Assert.Equal(1, fleet.Queued(Criticality.Standard));

        await cts.CancelAsync();
        var r = await first.Within();
        var second = fleet.Schedule(fleet.Request());

        Assert.Equal(ScheduleOutcome.Cancelled, r.Outcome);
        Assert.Equal(503, r.StatusCode);
        Assert.False(second.IsCompleted); // the freed slot took it instead of QueueFull
        Assert.Equal(1, fleet.Queued(Criticality.Standard));
    }

    [Fact]
    public async Task Schedule_QueueingOffAndSaturated_DispatchesStandardButShedsSheddable()
    {
        using var fleet = new Fleet(new SchedulerOptions { UseQueueing = false });
        fleet.Snapshot(Busy("a:1"), Busy("b:1"));

        var standard = await fleet.Schedule(fleet.Request()).Within();
        var sheddable = await fleet.Schedule(fleet.Request(Criticality.Sheddable)).Within();

        Assert.Equal(ScheduleOutcome.Scheduled, standard.Outcome);
        Assert.Equal(ScheduleOutcome.Shed, sheddable.Outcome);
    }

    [Fact]
    public async Task ConfigurePool_QueueingAnnotationFalse_OverridesOptions()
    {
        using var fleet = new Fleet(new SchedulerOptions { UseQueueing = true });
        fleet.Service.ConfigurePool(Fleet.Pool, new Dictionary<string, string> { [PoolAnnotations.UseQueueing] = "false" });
        fleet.Snapshot(Busy("a:1"));

        var r = await fleet.Schedule(fleet.Request()).Within();

        Assert.Equal(ScheduleOutcome.Scheduled, r.Outcome);
        Assert.False(fleet.Service.GetQueueStatus().Pools[0].UseQueueing);
    }

    [Fact]
    public async Task Complete_FreesSinceSnapshotLoad_ReleasesQueuedRequest()
    {
        using var fleet = new Fleet(new SchedulerOptions { QueueThreshold = 1 });
        fleet.Snapshot(Fleet.Endpoint("a:1"));
        var first = await fleet.Schedule(fleet.Request(id: "x1")).Within();
        var second = await fleet.Schedule(fleet.Request(id: "x2")).Within();
        Assert.Equal(ScheduleOutcome.Scheduled, second.Outcome);
        var queued = fleet.Schedule(fleet.Request(id: "x3")); // 2 dispatched since the scrape / threshold 1 → saturated
        Assert.False(queued.IsCompleted);

        var freed = fleet.Service.Complete(new RequestCompletion("x1", "replica-1", first.Endpoint!, 200, 10, 10, fleet.NowMs));

        Assert.True(freed);
        Assert.Equal(ScheduleOutcome.Scheduled, (await queued.Within()).Outcome);
    }

    [Fact]
    public async Task Complete_OtherReplicaOrUnknownRequest_Ignored()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("a:1"));
        var r = await fleet.Schedule(fleet.Request(id: "x1")).Within();

        Assert.False(fleet.Service.Complete(new RequestCompletion("x1", "replica-2", r.Endpoint!, 200, 1, 1, 0)));
        Assert.False(fleet.Service.Complete(new RequestCompletion("nope", "replica-1", r.Endpoint!, 200, 1, 1, 0)));
        Assert.Equal(1, fleet.Service.GetQueueStatus().InFlight);
        Assert.True(fleet.Service.Complete(new RequestCompletion("x1", "replica-1", r.Endpoint!, 200, 1, 1, 0)));
        Assert.False(fleet.Service.Complete(new RequestCompletion("x1", "replica-1", r.Endpoint!, 200, 1, 1, 0)));
        Assert.Equal(0, fleet.Service.GetQueueStatus().InFlight);
    }

    [Fact]
    public async Task Schedule_StaleMetrics_CountAsSaturated()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("a:1"));
        fleet.Time.Advance(TimeSpan.FromMilliseconds(fleet.Options.StalenessMs + 1));

        var sheddable = await fleet.Schedule(fleet.Request(Criticality.Sheddable)).Within();
        var standard = fleet.Schedule(fleet.Request());

        Assert.Equal(ScheduleOutcome.Shed, sheddable.Outcome);
        Assert.False(standard.IsCompleted);
        Assert.Null(fleet.Service.GetPoolStatus()[0].Endpoints[0].Saturation);

        fleet.Snapshot(Fleet.Endpoint("a:1"));
        Assert.Equal("a:1", (await standard.Within()).Endpoint);
    }

    [Fact]
    public async Task Schedule_StaleAndFreshEndpoints_PicksOnlyFresh()
    {
        using var fleet = new Fleet();
        // b:1 idle but scraped long ago; a:1 busy-ish but fresh.
        fleet.Time.Advance(TimeSpan.FromSeconds(5));
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 3), Fleet.Endpoint("b:1", scrapedAtMs: fleet.NowMs - 1000));

        var r = await fleet.Schedule(fleet.Request()).Within();

        Assert.Equal("a:1", r.Endpoint);
        Assert.Empty(r.Fallbacks);
    }

    [Fact]
    public async Task Schedule_UnhealthyEndpoint_NeverPicked()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 4), Fleet.Endpoint("b:1", health: EndpointHealth.Unhealthy));

        var r = await fleet.Schedule(fleet.Request()).Within();

        Assert.Equal("a:1", r.Endpoint);
    }

    [Fact]
    public async Task Schedule_SubsetHint_RestrictsCandidates()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1", waiting: 4), Fleet.Endpoint("c:1", waiting: 3));

        var r = await fleet.Schedule(fleet.Request(subset: ["b:1", "c:1"])).Within();

        Assert.Equal("c:1", r.Endpoint);
        Assert.Equal(["b:1"], r.Fallbacks);
    }

    [Fact]
    public async Task Schedule_SubsetHint_MatchesByIp_AsTheReferencePicker()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("10.0.0.1:8000"), Fleet.Endpoint("10.0.0.2:8000"), Fleet.Endpoint("10.0.0.2:8001", waiting: 3), Fleet.Endpoint("10.0.0.3:8000"));

        // A bare IP and an entry naming another port of the pod: every port of 10.0.0.2 is eligible, nothing else.
        var r = await fleet.Schedule(fleet.Request(subset: ["10.0.0.2", "10.0.0.2:9999"])).Within();

        Assert.Equal("10.0.0.2:8000", r.Endpoint);
        Assert.Equal(["10.0.0.2:8001"], r.Fallbacks);
    }

    [Fact]
    public async Task Schedule_SubsetHintMatchesNothing_NoCandidates503()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("a:1"));

        var r = await fleet.Schedule(fleet.Request(subset: ["z:9"])).Within();

        Assert.Equal(ScheduleOutcome.NoCandidates, r.Outcome);
        Assert.Equal(503, r.StatusCode);
        Assert.Contains("subset", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schedule_EmptyPool_NoCandidates503()
    {
        using var fleet = new Fleet();

        var r = await fleet.Schedule(fleet.Request()).Within();

        Assert.Equal(ScheduleOutcome.NoCandidates, r.Outcome);
    }

    [Fact]
    public async Task Schedule_MissingPool_BadRequest400()
    {
        using var fleet = new Fleet();

        var r = await fleet.Schedule(fleet.Request() with { Pool = "" }).Within();

        Assert.Equal(ScheduleOutcome.BadRequest, r.Outcome);
        Assert.Equal(400, r.StatusCode);
    }

    [Fact]
    public async Task Dispose_WithQueuedRequests_AnswersThem()
    {
        var fleet = new Fleet();
        fleet.Snapshot(Busy("a:1"));
        var queued = fleet.Schedule(fleet.Request());

        fleet.Dispose();

        Assert.Equal(ScheduleOutcome.Cancelled, (await queued.Within()).Outcome);
    }

    [Fact]
    public async Task CriticalSaturationLimit_CriticalGoesPastThresholdsWhileStandardWaits()
    {
        using var fleet = new Fleet(new SchedulerOptions { CriticalSaturationLimit = 2 });
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 7)); // saturation 1.4: over 1, under 2

        var standard = fleet.Schedule(fleet.Request(Criticality.Standard));
        var critical = await fleet.Schedule(fleet.Request(Criticality.Critical)).Within();

        Assert.Equal(ScheduleOutcome.Scheduled, critical.Outcome);
        Assert.False(standard.IsCompleted);
    }
}
