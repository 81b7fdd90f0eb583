using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

/// <summary><c>StandardSaturationLimit</c>: lower bands stop at a fraction of the queue threshold, Critical does not.</summary>
public sealed class StandardLimitTests
{
    // Queue threshold 5: a limit of 0.2 lets Standard and Sheddable through only while at most one request waits.
    private static SchedulerOptions Options() => new() { StandardSaturationLimit = 0.2 };

    [Fact]
    public async Task TwoWaiting_StandardQueuedSheddableShedCriticalDispatched()
    {
        using var fleet = new Fleet(Options());
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 2));

        var standard = fleet.Schedule(fleet.Request(Criticality.Standard));
        var sheddable = await fleet.Schedule(fleet.Request(Criticality.Sheddable)).Within();
        var critical = await fleet.Schedule(fleet.Request(Criticality.Critical)).Within();

        Assert.False(standard.IsCompleted);
        Assert.Equal(ScheduleOutcome.Shed, sheddable.Outcome);
        Assert.Equal(ScheduleOutcome.Scheduled, critical.Outcome);
    }

    [Theory]
    [InlineData(0.2, 1)] // at the limit: one waiting is still room
    [InlineData(1.0, 2)] // the default: the queue threshold (5) decides
    public async Task UnderTheLimit_StandardDispatched(double limit, int waiting)
    {
        using var fleet = new Fleet(new SchedulerOptions { StandardSaturationLimit = limit });
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: waiting));

        var r = await fleet.Schedule(fleet.Request(Criticality.Standard)).Within();

        Assert.Equal(ScheduleOutcome.Scheduled, r.Outcome);
    }
}
