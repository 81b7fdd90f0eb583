using InferenceMesh.Contracts;
using InferenceMesh.Prometheus;
using Microsoft.Extensions.Time.Testing;

namespace InferenceMesh.MetricsCollector.Tests;

public sealed class EndpointStateTests
{
    private static readonly CollectorOptions Options = new()
    {
        ScrapeInterval = TimeSpan.FromMilliseconds(50),
        StalenessThreshold = TimeSpan.FromMilliseconds(200),
        UnhealthyThreshold = TimeSpan.FromSeconds(1),
        UnhealthyAfterFailures = 2,
    };

    private static readonly EngineMetricsValues Values = new(3, 2, 0.5, "a,b", "", 4, 16, 100);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero));

    private EndpointState NewState() => new(new DiscoveredEndpoint("10.0.0.1:8000", "p", "vllm", "pod"), Options, _time);

    [Fact]
    public void Read_BeforeFirstScrape_IsUnhealthyWithoutNumbers()
    {
        var r = NewState().Read();
        Assert.Equal(EndpointHealth.Unhealthy, r.Health);
        Assert.Null(r.Metrics);
    }

    [Fact]
    public void Read_AfterSuccess_IsHealthyWithTheNumbers()
    {
        var s = NewState();
        s.RecordSuccess(Values, 1000);
        var r = s.Read();
        Assert.Equal(EndpointHealth.Healthy, r.Health);
        Assert.Equal(3, r.Metrics!.Waiting);
        Assert.Equal(["a", "b"], r.Metrics.RunningLoras);
        Assert.Equal(1000, r.Metrics.ScrapedAtUnixMs);
    }

    [Fact]
    public void Read_AgeBeyondStaleness_IsStaleThenUnhealthy()
    {
        var s = NewState();
        s.RecordSuccess(Values, 1000);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(EndpointHealth.Healthy, s.Read().Health);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var stale = s.Read();
        Assert.Equal(EndpointHealth.Stale, stale.Health);
        Assert.Equal(EndpointHealth.Stale, stale.Metrics!.Health); // flagged, never silently passed on as fresh
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(EndpointHealth.Unhealthy, s.Read().Health);
    }

    [Fact]
    public void Failures_FirstMakesStaleSecondUnhealthy_SuccessRecovers()
    {
        var s = NewState();
        s.RecordSuccess(Values, 1000);
        s.RecordFailure("connection refused");
        var first = s.Read();
        Assert.Equal(EndpointHealth.Stale, first.Health);
        Assert.Equal("connection refused", first.LastError);
        s.RecordFailure("connection refused");
        Assert.Equal(EndpointHealth.Unhealthy, s.Read().Health);

        Assert.True(s.RecordSuccess(Values with { Waiting = 9 }, 2000));
        var back = s.Read();
        Assert.Equal(EndpointHealth.Healthy, back.Health);
        Assert.Equal(9, back.Metrics!.Waiting);
        Assert.Null(back.LastError);
    }

    [Fact]
    public void RecordSuccess_SameAdapters_ReusesTheLists()
    {
        var s = NewState();
        s.RecordSuccess(Values, 1);
        var first = s.Read().Metrics!.RunningLoras;
        s.RecordSuccess(Values with { Waiting = 1 }, 2);
        Assert.Same(first, s.Read().Metrics!.RunningLoras);
        s.RecordSuccess(Values with { RunningLoras = "c" }, 3);
        Assert.Equal(["c"], s.Read().Metrics!.RunningLoras);
    }
}
