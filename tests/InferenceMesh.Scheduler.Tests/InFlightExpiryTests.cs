using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

public sealed class InFlightExpiryTests
{
    [Fact]
    public async Task LostCompletion_SlotIsFreedAfterInFlightExpiryMs_AndTheEndpointCountsAsIdleAgain()
    {
        using var fleet = new Fleet(new SchedulerOptions { InFlightExpiryMs = 5000, StalenessMs = 600_000 });
        fleet.Snapshot(Fleet.Endpoint("a:1"));
        for (var i = 0; i < 3; i++)
            Assert.Equal(ScheduleOutcome.Scheduled, (await fleet.Schedule(fleet.Request()).Within()).Outcome);
        Assert.Equal(3, fleet.Service.GetQueueStatus().InFlight);

        // Before the expiry nothing is forgotten; the sweep runs on the timer about once a second.
        fleet.Time.Advance(TimeSpan.FromMilliseconds(4000));
        Assert.Equal(3, fleet.Service.GetQueueStatus().InFlight);
        for (var s = 0; s < 3; s++)
            fleet.Time.Advance(TimeSpan.FromMilliseconds(1000));

        Assert.Equal(0, fleet.Service.GetQueueStatus().InFlight);
        var endpoint = fleet.Service.GetPoolStatus()[0].Endpoints[0];
        Assert.Equal(0, endpoint.InFlight);
        Assert.Equal(0, endpoint.SinceSnapshot);
    }
}
