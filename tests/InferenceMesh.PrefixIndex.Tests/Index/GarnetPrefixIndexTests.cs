using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Prefix.Index;
using InferenceMesh.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Index;

public sealed class GarnetFixture : IAsyncLifetime
{
    public GarnetServer? Server { get; private set; }

    public RedisConnection? Connection { get; private set; }

    public async Task InitializeAsync()
    {
        if (GarnetServer.Executable is null)
            return;
        Server = GarnetServer.Start();
        Connection = await RedisConnection.ConnectAsync(Server.Options);
    }

    public async Task DisposeAsync()
    {
        if (Connection is not null)
            await Connection.DisposeAsync();
        Server?.Dispose();
    }
}

/// <summary>The RESP client and the redis backend against Garnet (where its commands and Lua support suffice).</summary>
public sealed class GarnetPrefixIndexTests(GarnetFixture fixture) : IClassFixture<GarnetFixture>
{
    private IPrefixIndex Index(int capacity = 1000) =>
        PrefixIndexFactory.CreateRedis(fixture.Connection!, new PrefixIndexOptions { DefaultCapacity = capacity, KeyPrefix = "g" + Guid.NewGuid().ToString("N")[..8] }, new PrefixIndexMetrics());

    [GarnetFact]
    public async Task Client_PipelinedCommandsAndResp3Replies_Work()
    {
        var redis = fixture.Connection!;
        var sets = Enumerable.Range(0, 500).Select(i => redis.ExecuteAsync("SET", $"k{i}", $"v{i}").AsTask()).ToArray();
        await Task.WhenAll(sets);
        var gets = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => redis.ExecuteAsync("GET", $"k{i}").AsTask()));
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"v{i}"), gets.Select(g => g.AsString()));
        await redis.ExecuteAsync("HSET", "h", "f", "1");
        Assert.Equal("1", (await redis.ExecuteAsync("HGETALL", "h")).AsMap()["f"].AsString());
    }

    [GarnetFact]
    public async Task RecordMatchCapacityPurge_Work()
    {
        var index = Index();
        ulong[] chain = [1, 2, 3, 4, 5, 6];
        Assert.Equal(new[] { 0, 0 }, await index.MatchAndRecordAsync("m", chain, ["a", "b"], "a", default));
        Assert.Equal(new[] { 6, 0 }, await index.MatchAsync("m", chain, ["a", "b"], default));

        await index.SetCapacityAsync("b", 4, default);
        ulong[] older = [11, 12, 13];
        ulong[] newer = [21, 22, 23];
        await index.RecordAsync("m", "b", older, default);
        await index.RecordAsync("m", "b", newer, default);
        Assert.Equal(new[] { 1 }, await index.MatchAsync("m", older, ["b"], default));
        Assert.Equal(new[] { 3 }, await index.MatchAsync("m", newer, ["b"], default));

        Assert.Equal(6, await index.PurgeEndpointAsync("a", default));
        Assert.Equal(new[] { 0 }, await index.MatchAsync("m", chain, ["a"], default));
        var stats = await index.StatsAsync(default);
        Assert.Equal(4, Assert.Single(stats.Endpoints).Entries);
    }

    [GarnetFact]
    public async Task EvalSha_AfterScriptFlush_ReloadsTheScript()
    {
        var redis = fixture.Connection!;
        var script = new RedisScript($"return ARGV[1] .. '{Guid.NewGuid():N}'");
        Assert.StartsWith("x", (await redis.EvalAsync(script, [], ["x"])).AsString(), StringComparison.Ordinal);
        await redis.ExecuteAsync("SCRIPT", "FLUSH");
        Assert.StartsWith("y", (await redis.EvalAsync(script, [], ["y"])).AsString(), StringComparison.Ordinal);
    }
}
