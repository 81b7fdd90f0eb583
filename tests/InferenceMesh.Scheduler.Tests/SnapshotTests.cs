using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

public sealed class SnapshotTests
{
    private static PoolSnapshot Snap(string collector, long seq, long publishedAt, int waiting) =>
        new(Fleet.Pool, collector, seq, publishedAt, [Fleet.Endpoint("a:1", waiting: waiting, scrapedAtMs: publishedAt)]);

    [Fact]
    public void ApplySnapshot_SameOrLowerSequence_DroppedAsReplay()
    {
        using var fleet = new Fleet();
        var t = fleet.NowMs;

        Assert.Equal(SnapshotResult.Applied, fleet.Service.ApplySnapshot(Snap("c1", 5, t, 1)));
        Assert.Equal(SnapshotResult.Replayed, fleet.Service.ApplySnapshot(Snap("c1", 5, t, 7)));
        Assert.Equal(SnapshotResult.Replayed, fleet.Service.ApplySnapshot(Snap("c1", 4, t, 7)));

        var pool = fleet.Service.GetPoolStatus()[0];
        Assert.Equal(1, pool.Endpoints[0].Waiting);
        Assert.Equal(5, pool.Sequence);
    }

    [Fact]
    public void ApplySnapshot_OlderPublicationFromAnotherCollector_DroppedAsOutOfOrder()
    {
        using var fleet = new Fleet();
        var t = fleet.NowMs;

        Assert.Equal(SnapshotResult.Applied, fleet.Service.ApplySnapshot(Snap("c1", 1, t, 1)));
        Assert.Equal(SnapshotResult.OutOfOrder, fleet.Service.ApplySnapshot(Snap("c2", 9, t - 50, 7)));
        Assert.Equal(SnapshotResult.Applied, fleet.Service.ApplySnapshot(Snap("c2", 10, t + 50, 3)));

        var pool = fleet.Service.GetPoolStatus()[0];
        Assert.Equal(3, pool.Endpoints[0].Waiting);
        Assert.Equal("c2", pool.Collector);
    }

    [Fact]
    public void ApplySnapshot_CollectorRestartsWithLowerSequence_NewCollectorIdIsAccepted()
    {
        using var fleet = new Fleet();
        var t = fleet.NowMs;
        fleet.Service.ApplySnapshot(Snap("c1-old", 100, t, 1));

        Assert.Equal(SnapshotResult.Applied, fleet.Service.ApplySnapshot(Snap("c1-new", 1, t + 10, 2)));
    }

    [Fact]
    public void ApplySnapshot_NoPool_Invalid()
    {
        using var fleet = new Fleet();

        Assert.Equal(SnapshotResult.Invalid, fleet.Service.ApplySnapshot(new PoolSnapshot("", "c", 1, 0, [])));
    }

    [Fact]
    public async Task ApplySnapshot_EndpointGone_NoLongerPicked()
    {
        using var fleet = new Fleet();
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1", waiting: 2));
        fleet.Snapshot(Fleet.Endpoint("b:1", waiting: 2));

        var r = await fleet.Schedule(fleet.Request()).Within();

        Assert.Equal("b:1", r.Endpoint);
        Assert.Empty(r.Fallbacks);
    }
}
