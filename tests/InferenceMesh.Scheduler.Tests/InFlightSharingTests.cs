using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>Another replica's dispatches (events on the fan-out topic) count as load here until a later snapshot or their
/// completion, so replicas do not each fill the same headroom.</summary>
public sealed class InFlightSharingTests
{
    private const string Other = "replica-2";

    private static RoutingDecision Dispatch(Fleet fleet, string id, string endpoint, long? decidedAtMs = null, double prefillMs = 0, string replica = Other) =>
        new(id, Fleet.Pool, "m", endpoint, [], replica, Criticality.Standard, decidedAtMs ?? fleet.NowMs, prefillMs);

    private static EndpointStatus Status(Fleet fleet, string address) =>
        fleet.Service.GetPoolStatus().Single(p => p.Pool == Fleet.Pool).Endpoints.Single(e => e.Address == address);

    [Fact]
    public async Task RemoteDispatches_SaturateTheEndpoint_AndTheirCompletionReleasesTheQueue()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("e1", waiting: 4));

        Assert.True(fleet.Service.ApplyRemoteDispatch(Dispatch(fleet, "x1", "e1")));
        Assert.True(fleet.Service.ApplyRemoteDispatch(Dispatch(fleet, "x2", "e1")));
        var pending = fleet.Schedule(fleet.Request());

        // 4 waiting + 2 dispatched elsewhere = 6 > threshold 5: this replica waits instead of adding a seventh.
        Assert.False(pending.IsCompleted);
        Assert.Equal(1, fleet.Queued(Criticality.Standard));
        Assert.Equal(2, Status(fleet, "e1").SinceSnapshot);

        Assert.False(fleet.Service.Complete(new RequestCompletion("x1", Other, "e1", 200, 1, 1, 0)));
        var response = await pending.Within();

        Assert.Equal(ScheduleOutcome.Scheduled, response.Outcome);
        Assert.Equal("e1", response.Endpoint);
    }

    [Fact]
    public void RemoteDispatch_StopsCounting_WhenASnapshotScrapedAfterItArrives()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("e1"));
        fleet.Service.ApplyRemoteDispatch(Dispatch(fleet, "x1", "e1"));
        var before = Status(fleet, "e1").SinceSnapshot;

        fleet.Snapshot(Fleet.Endpoint("e1", waiting: 1));

        Assert.Equal(1, before);
        Assert.Equal(0, Status(fleet, "e1").SinceSnapshot);
        Assert.Equal(0, fleet.Service.RemoteInFlight);
    }

    [Fact]
    public void RemoteDispatch_OlderThanTheScrape_OwnOrUnknown_IsNotCounted()
    {
        using var fleet = new Fleet(replica: "replica-1");
        fleet.Snapshot(Fleet.Endpoint("e1"));

        Assert.False(fleet.Service.ApplyRemoteDispatch(Dispatch(fleet, "old", "e1", decidedAtMs: fleet.NowMs - 10)));
        Assert.False(fleet.Service.ApplyRemoteDispatch(Dispatch(fleet, "own", "e1", replica: "replica-1")));
        Assert.False(fleet.Service.ApplyRemoteDispatch(Dispatch(fleet, "gone", "e9")));
        Assert.False(fleet.Service.ApplyRemoteDispatch(Dispatch(fleet, "other-pool", "e1") with { Pool = "pool-z" }));
        Assert.Equal(0, Status(fleet, "e1").SinceSnapshot);
    }

    [Fact]
    public void RemoteDispatch_RedeliveredByPubSub_CountsOnce()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("e1"));
        var decision = Dispatch(fleet, "x1", "e1");

        fleet.Service.ApplyRemoteDispatch(decision);
        fleet.Service.ApplyRemoteDispatch(decision);

        Assert.Equal(1, Status(fleet, "e1").SinceSnapshot);
        Assert.Equal(1, fleet.Service.RemoteInFlight);
    }

    [Fact]
    public async Task RemotePrefillBacklog_SteersThePredictedTtftPicker()
    {
        using var fleet = new Fleet();
        fleet.Service.ConfigurePool(Fleet.Pool, new Dictionary<string, string> { [PoolAnnotations.RoutingStrategy] = SchedulerOptions.PredictedTtftProfile });
        fleet.Snapshot(Fleet.Endpoint("e1"), Fleet.Endpoint("e2"));
        // One dispatch each, so the queue terms are equal; only e1's carries a long prefill.
        fleet.Service.ApplyRemoteDispatch(Dispatch(fleet, "long", "e1", prefillMs: 60_000));
        fleet.Service.ApplyRemoteDispatch(Dispatch(fleet, "short", "e2"));

        for (var i = 0; i < 5; i++)
        {
            var request = fleet.Request();
            var response = await fleet.Schedule(request).Within();
            Assert.Equal("e2", response.Endpoint);
            fleet.Service.Complete(new RequestCompletion(request.RequestId, response.SchedulerReplica, "e2", 200, 1, 1, 0));
        }
    }
}
