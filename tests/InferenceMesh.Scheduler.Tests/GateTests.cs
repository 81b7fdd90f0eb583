using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>The saturation gate holds a request only while no endpoint has room, and sends what it lets through where the room is.</summary>
public sealed class GateTests
{
    [Fact]
    public async Task FullKvWithAnEmptyQueue_IsRoom_TheServerAdmitsItself()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("a:1", kv: 0.97));

        var r = await fleet.Schedule(fleet.Request(Criticality.Sheddable)).Within();

        Assert.Equal(ScheduleOutcome.Scheduled, r.Outcome);
    }

    [Fact]
    public async Task Release_GoesToTheEndpointWithRoom_NotToABetterScoringFullOne()
    {
        // a:1 scores better all along (shorter scraped queue, emptier KV), so the scorers alone keep choosing it; once
        // this replica's dispatches put it past the threshold, what the gate lets through must go to b:1, which has room.
        using var fleet = new Fleet(new SchedulerOptions { QueueThreshold = 2 });
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 0, kv: 0.1), Fleet.Endpoint("b:1", waiting: 1, kv: 0.5));
        var picks = new List<string>();
        for (var i = 0; i < 5; i++)
            picks.Add((await fleet.Schedule(fleet.Request()).Within()).Endpoint!);
        var held = fleet.Schedule(fleet.Request());

        Assert.Equal(["a:1", "a:1", "a:1", "b:1", "b:1"], picks);
        Assert.False(held.IsCompleted);
        Assert.Equal(1, fleet.Queued(Criticality.Standard));
    }

    [Fact]
    public async Task Completion_OfARequestTheScrapeCounted_FreesRoomBeforeTheNextScrape()
    {
        using var fleet = new Fleet(new SchedulerOptions { QueueThreshold = 1 });
        fleet.Snapshot(Fleet.Endpoint("a:1"));
        var first = await fleet.Schedule(fleet.Request(id: "x1")).Within();
        // The next scrape sees x1 and one other request queued at the server: saturated (2 / 1).
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 2));
        var queued = fleet.Schedule(fleet.Request(id: "x2"));
        Assert.False(queued.IsCompleted);

        // x1 finishes: the server admits one of its waiting requests, so its queue is 1 now, which the gate sees at once.
        Assert.True(fleet.Service.Complete(new RequestCompletion("x1", "replica-1", first.Endpoint!, 200, 10, 10, fleet.NowMs)));

        Assert.Equal(ScheduleOutcome.Scheduled, (await queued.Within()).Outcome);
        var status = fleet.Service.GetPoolStatus()[0].Endpoints[0];
        Assert.Equal(2, status.Waiting);
        Assert.Equal(1, status.SinceSnapshot);
    }
}
