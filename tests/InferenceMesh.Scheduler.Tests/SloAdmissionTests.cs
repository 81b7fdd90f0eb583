using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

public sealed class SloAdmissionTests
{
    // DEFAULT prefers a:1 (empty queue, more KV headroom), but its 400 running requests put its predicted TTFT near 300 ms;
    // b:1 has one request waiting and is predicted near 215 ms (docs/scheduler.md, "Predicted TTFT").
    private static readonly EndpointMetrics Busy = Fleet.Endpoint("a:1", waiting: 0, kv: 0.1, running: 400);
    private static readonly EndpointMetrics Quiet = Fleet.Endpoint("b:1", waiting: 1, kv: 0.5);

    private static ScheduleRequest WithObjective(Fleet fleet, int ms, Criticality band = Criticality.Standard, string model = "m") =>
        fleet.Request(criticality: band, bytes: 2000, model: model) with { TtftSloMs = ms };

    [Fact]
    public async Task NoObjective_ProfileChoosesAsBefore()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Busy, Quiet);

        var r = await fleet.Schedule(fleet.Request(bytes: 2000)).Within();

        Assert.Equal("a:1", r.Endpoint);
    }

    [Fact]
    public async Task Objective_OnlyEndpointsPredictedToMeetItTakePart()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Busy, Quiet);

        var r = await fleet.Schedule(WithObjective(fleet, 250)).Within();

        Assert.Equal("b:1", r.Endpoint);
        Assert.Empty(r.Fallbacks);
    }

    [Fact]
    public async Task ObjectiveNoneCanMeet_ShedsSheddable_PlacesStandardAndCritical()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Busy, Quiet);

        var shed = await fleet.Schedule(WithObjective(fleet, 50, Criticality.Sheddable)).Within();
        var standard = await fleet.Schedule(WithObjective(fleet, 50, Criticality.Standard)).Within();
        var critical = await fleet.Schedule(WithObjective(fleet, 50, Criticality.Critical)).Within();

        Assert.Equal(ScheduleOutcome.Shed, shed.Outcome);
        Assert.Equal(429, shed.StatusCode);
        Assert.Equal(ScheduleOutcome.Scheduled, standard.Outcome);
        Assert.Equal(ScheduleOutcome.Scheduled, critical.Outcome);
    }

    [Fact]
    public async Task ObjectiveNoneCanMeet_ShedStandard_ShedsStandardButNotCritical()
    {
        using var fleet = new Fleet(new SchedulerOptions { Slo = new SloOptions { ShedStandard = true } });
        fleet.Snapshot(Busy, Quiet);

        var standard = await fleet.Schedule(WithObjective(fleet, 50, Criticality.Standard)).Within();
        var critical = await fleet.Schedule(WithObjective(fleet, 50, Criticality.Critical)).Within();

        Assert.Equal(ScheduleOutcome.Shed, standard.Outcome);
        Assert.Equal(ScheduleOutcome.Scheduled, critical.Outcome);
    }

    [Fact]
    public async Task ModelObjective_AppliesWhenTheRequestCarriesNone()
    {
        var options = new SchedulerOptions { Slo = new SloOptions { TtftMsByModel = { ["chat"] = 250 } } };
        using var fleet = new Fleet(options);
        fleet.Snapshot(Busy, Quiet);

        var chat = await fleet.Schedule(fleet.Request(bytes: 2000, model: "chat")).Within();
        var batch = await fleet.Schedule(fleet.Request(bytes: 2000, model: "batch")).Within();

        Assert.Equal("b:1", chat.Endpoint);
        Assert.Equal("a:1", batch.Endpoint);
    }

    [Fact]
    public async Task NegativeObjective_IsABadRequest()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Busy, Quiet);

        var r = await fleet.Schedule(WithObjective(fleet, -1)).Within();

        Assert.Equal(ScheduleOutcome.BadRequest, r.Outcome);
    }
}
