using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

public sealed class ScorerTests
{
    private static EndpointState State(EndpointMetrics m)
    {
        var s = new EndpointState(m.Address);
        s.Update(m);
        return s;
    }

    [Theory]
    [InlineData(0, 0, 10, 1.0)]
    [InlineData(10, 0, 10, 0.0)]
    [InlineData(5, 0, 10, 0.5)]
    [InlineData(7, 7, 7, 1.0)]
    public void Relative_QueueDepth_IsMaxMinusValueOverRange(int q, int min, int max, double expected) =>
        Assert.Equal(expected, Scorers.Relative(q, min, max), 9);

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.25, 0.75)]
    [InlineData(1.0, 0.0)]
    [InlineData(1.5, 0.0)]
    public void Kv_IsOneMinusUsageClamped(double usage, double expected) => Assert.Equal(expected, Scorers.Kv(usage), 9);

    [Theory]
    [InlineData(0, 10, 0.0)]
    [InlineData(4, 10, 0.4)]
    [InlineData(10, 10, 1.0)]
    [InlineData(3, 0, 0.0)]
    public void Prefix_IsLeadingMatchedBlocksOverTotal(int matched, int total, double expected) =>
        Assert.Equal(expected, Scorers.Prefix(matched, total), 9);

    [Fact]
    public void Lora_RunningFreeSlotWaitingNone_ScoresOneEightTenthsSixTenthsZero()
    {
        var running = State(Fleet.Endpoint("a:1", runningLoras: ["sql-lora", "x", "y"], maxLoras: 3));
        var freeSlot = State(Fleet.Endpoint("b:1", runningLoras: ["x"], maxLoras: 3));
        var waiting = State(Fleet.Endpoint("c:1", runningLoras: ["x", "y", "z"], waitingLoras: ["sql-lora"], maxLoras: 3));
        var none = State(Fleet.Endpoint("d:1", runningLoras: ["x", "y", "z"], maxLoras: 3));

        Assert.Equal(1.0, Scorers.Lora(running, "sql-lora"));
        Assert.Equal(0.8, Scorers.Lora(freeSlot, "sql-lora"));
        Assert.Equal(0.6, Scorers.Lora(waiting, "sql-lora"));
        Assert.Equal(0.0, Scorers.Lora(none, "sql-lora"));
    }

    [Fact]
    public void Saturation_IsMaxOfQueueAndKvRatios_AndInfiniteWhenStale()
    {
        var o = new SchedulerOptions();
        var e = State(Fleet.Endpoint("a:1", waiting: 2, kv: 0.6, scrapedAtMs: 1000));
        e.SinceSnapshot = 1;

        Assert.Equal(Math.Max(3 / 5.0, 0.6 / 0.8), Scorers.Saturation(e, 1000, o), 9);
        Assert.False(Scorers.IsSaturated(e, 1000, o));
        Assert.True(double.IsPositiveInfinity(Scorers.Saturation(e, 1000 + o.StalenessMs + 1, o)));
        e.KvUsage = 0.81;
        Assert.True(Scorers.IsSaturated(e, 1000, o));
    }
}
