using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

/// <summary><c>PriorityAgingMs</c>: a lower band waits at most that much longer than the band above (release order is the earliest
/// <c>enqueued + band × aging</c>); 0 is strict priority.</summary>
public sealed class PriorityAgingTests
{
    private static EndpointMetrics Busy() => Fleet.Endpoint("a:1", waiting: 10);

    // waiting 5 of threshold 5 is room for one: the dispatch makes it 6.
    private static EndpointMetrics RoomForOne() => Fleet.Endpoint("a:1", waiting: 5);

    [Theory]
    [InlineData(0, 60_000)]     // strict: however long Standard waited
    [InlineData(1_000, 900)]    // aging: Standard waited less than the bound longer than Critical
    public async Task Release_CriticalGoesFirst(int agingMs, int standardHeadStartMs)
    {
        using var fleet = new Fleet(new SchedulerOptions { PriorityAgingMs = agingMs, StalenessMs = 3_600_000, FailOpenAfterMs = 0 });
        fleet.Snapshot(Busy());
        var standard = fleet.Schedule(fleet.Request(Criticality.Standard, id: "s1"));
        fleet.Time.Advance(TimeSpan.FromMilliseconds(standardHeadStartMs));
        var critical = fleet.Schedule(fleet.Request(Criticality.Critical, id: "c1"));

        fleet.Snapshot(RoomForOne());

        Assert.Equal(ScheduleOutcome.Scheduled, (await critical.Within()).Outcome);
        Assert.False(standard.IsCompleted);
        fleet.Snapshot(RoomForOne());
        Assert.Equal(ScheduleOutcome.Scheduled, (await standard.Within()).Outcome);
    }

    [Fact]
    public async Task Release_StandardWaitedPastTheBound_GoesBeforeLaterCritical()
    {
        using var fleet = new Fleet(new SchedulerOptions { PriorityAgingMs = 1_000, StalenessMs = 3_600_000, FailOpenAfterMs = 0 });
        fleet.Snapshot(Busy());
        var standard = fleet.Schedule(fleet.Request(Criticality.Standard, id: "s1"));
        fleet.Time.Advance(TimeSpan.FromMilliseconds(1_500));
        var critical = fleet.Schedule(fleet.Request(Criticality.Critical, id: "c1"));
        var later = fleet.Schedule(fleet.Request(Criticality.Standard, id: "s2"));

        fleet.Snapshot(RoomForOne());

        Assert.Equal(ScheduleOutcome.Scheduled, (await standard.Within()).Outcome);
        Assert.False(critical.IsCompleted);
        fleet.Snapshot(RoomForOne());
        Assert.Equal(ScheduleOutcome.Scheduled, (await critical.Within()).Outcome);
        Assert.False(later.IsCompleted); // s2 arrived with c1: inside the bound, Critical first
    }

    [Theory]
    [InlineData(0, true)]       // strict: Critical goes at once, the aged Standard keeps waiting
    [InlineData(1_000, false)]  // aging: Critical queues behind the Standard request that waited past the bound
    public async Task Arrival_WithAgedStandardQueuedAndRoomForCritical(int agingMs, bool criticalAtOnce)
    {
        // Standard may only use an endpoint with at most one waiting; Critical up to the threshold (5).
        using var fleet = new Fleet(new SchedulerOptions { PriorityAgingMs = agingMs, StandardSaturationLimit = 0.2, StalenessMs = 3_600_000, FailOpenAfterMs = 0 });
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 2));
        var standard = fleet.Schedule(fleet.Request(Criticality.Standard, id: "s1"));
        fleet.Time.Advance(TimeSpan.FromMilliseconds(1_500));

        var critical = fleet.Schedule(fleet.Request(Criticality.Critical, id: "c1"));

        if (criticalAtOnce)
        {
            Assert.Equal(ScheduleOutcome.Scheduled, (await critical.Within()).Outcome);
            Assert.False(standard.IsCompleted);
            return;
        }
        // The aged head goes on the terms of the band it overtakes: Critical's room (2 waiting < 5) lets it through at the
        // next release, and the Critical request after it.
        Assert.False(critical.IsCompleted);
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 2));
        Assert.Equal(ScheduleOutcome.Scheduled, (await standard.Within()).Outcome);
        Assert.Equal(ScheduleOutcome.Scheduled, (await critical.Within()).Outcome);
    }
}
