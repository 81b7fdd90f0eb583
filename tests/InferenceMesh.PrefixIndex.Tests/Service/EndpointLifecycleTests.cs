using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace InferenceMesh.PrefixIndex.Tests.Service;

public sealed class EndpointLifecycleTests
{
    private static EndpointMetrics Endpoint(string address, int blocks) =>
        new(address, 0, 0, 0, [], [], 0, 16, blocks, 0, EndpointHealth.Healthy);

    private static PoolSnapshot Snapshot(long seq, params EndpointMetrics[] endpoints) => new("pool", "c", seq, 0, endpoints);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly IPrefixIndex _index = PrefixIndexFactory.CreateMemory(new PrefixIndexOptions(), new PrefixIndexMetrics());

    private readonly EngineCapacities _engine = new();

    private EndpointLifecycle Create(int purgeAfterSeconds = 300) =>
        new(_index, Options.Create(new PrefixIndexOptions { PurgeAbsentAfterSeconds = purgeAfterSeconds }), _time, NullLogger<EndpointLifecycle>.Instance, _engine);

    [Fact]
    public async Task EngineReportedCapacities_AreMarked_AndForgottenWithThePurge()
    {
        var lifecycle = Create(purgeAfterSeconds: 300);
        await lifecycle.ApplyAsync(Snapshot(1, Endpoint("a", 100), Endpoint("b", 0)), default);
        Assert.Equal((true, false), (_engine.IsReported("a"), _engine.IsReported("b"))); // b reports no block count: a guess

        _time.Advance(TimeSpan.FromSeconds(400));
        await lifecycle.ApplyAsync(Snapshot(2, Endpoint("b", 0)), default);
        Assert.False(_engine.IsReported("a"));
    }

    [Fact]
    public async Task Snapshot_SetsCapacityFromKvBlocks()
    {
        var lifecycle = Create();
        await lifecycle.ApplyAsync(Snapshot(1, Endpoint("a", 3), Endpoint("b", 0)), default);
        ulong[] chain = [1, 2, 3, 4, 5];
        await _index.RecordAsync("m", "a", chain, default);
        await _index.RecordAsync("m", "b", chain, default);
        Assert.Equal(new[] { 3, 5 }, await _index.MatchAsync("m", chain, ["a", "b"], default)); // b keeps the default
    }

    [Fact]
    public async Task EndpointAbsentLongerThanTheGrace_IsPurged_ShortAbsenceIsNot()
    {
        var lifecycle = Create(purgeAfterSeconds: 300);
        ulong[] chain = [7, 8];
        await lifecycle.ApplyAsync(Snapshot(1, Endpoint("a", 100), Endpoint("b", 100)), default);
        await _index.RecordAsync("m", "a", chain, default);
        await _index.RecordAsync("m", "b", chain, default);

        _time.Advance(TimeSpan.FromSeconds(200));
        await lifecycle.ApplyAsync(Snapshot(2, Endpoint("a", 100)), default); // b briefly missing (e.g. unhealthy)
        Assert.Equal(new[] { 2, 2 }, await _index.MatchAsync("m", chain, ["a", "b"], default));

        _time.Advance(TimeSpan.FromSeconds(200)); // b unseen for 400 s
        await lifecycle.ApplyAsync(Snapshot(3, Endpoint("a", 100)), default);
        Assert.Equal(new[] { 2, 0 }, await _index.MatchAsync("m", chain, ["a", "b"], default));
    }

    [Fact]
    public async Task PurgeDisabled_KeepsAbsentEndpoints()
    {
        var lifecycle = Create(purgeAfterSeconds: 0);
        ulong[] chain = [9];
        await lifecycle.ApplyAsync(Snapshot(1, Endpoint("a", 10)), default);
        await _index.RecordAsync("m", "a", chain, default);
        _time.Advance(TimeSpan.FromDays(1));
        await lifecycle.ApplyAsync(Snapshot(2), default);
        Assert.Equal(new[] { 1 }, await _index.MatchAsync("m", chain, ["a"], default));
    }
}
