using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

public sealed class ServiceRateScorerTests
{
    private const string RateOnly = """
        plugins:
        - type: service-rate-scorer
        - type: max-score-picker
        schedulingProfiles:
        - name: RATE
          plugins:
          - pluginRef: service-rate-scorer
          - pluginRef: max-score-picker
        """;

    [Fact]
    public async Task SlowerCompletionsPerToken_EndpointRanksLast()
    {
        using var fleet = new Fleet(new SchedulerOptions { ConfigText = RateOnly });
        fleet.Service.ConfigurePool(Fleet.Pool, new Dictionary<string, string> { [PoolAnnotations.RoutingStrategy] = "RATE" });
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1"));
        var onA = await fleet.Schedule(fleet.Request(id: "a", subset: ["a:1"])).Within();
        var onB = await fleet.Schedule(fleet.Request(id: "b", subset: ["b:1"])).Within();
        fleet.Time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.True(fleet.Service.Complete(new RequestCompletion("a", "replica-1", onA.Endpoint!, 200, 10, 100, fleet.NowMs)));
        fleet.Time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.True(fleet.Service.Complete(new RequestCompletion("b", "replica-1", onB.Endpoint!, 200, 10, 100, fleet.NowMs)));
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1"));

        var r = await fleet.Schedule(fleet.Request()).Within();

        Assert.Equal("a:1", r.Endpoint);
        Assert.Equal(["b:1"], r.Fallbacks);
    }
}
