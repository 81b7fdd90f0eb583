using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Prefix.Index;
using InferenceMesh.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Index;

public sealed class RedisIndexFixture : IAsyncLifetime
{
    public RedisServer Server { get; } = RedisServer.Start();

    public RedisConnection Connection { get; private set; } = null!;

    public async Task InitializeAsync() => Connection = await RedisConnection.ConnectAsync(Server.Options with { Protocol = 3 });

    public async Task DisposeAsync()
    {
        await Connection.DisposeAsync();
        Server.Dispose();
    }
}

public sealed class RedisPrefixIndexTests(RedisIndexFixture fixture) : PrefixIndexContractTests, IClassFixture<RedisIndexFixture>
{
    protected override Task<IPrefixIndex> CreateAsync(PrefixIndexOptions options) => Task.FromResult(PrefixIndexFactory.CreateRedis(fixture.Connection, options, Metrics));

    [Fact]
    public async Task MatchAndRecord_IsOneRoundTrip()
    {
        await using var connection = await RedisConnection.ConnectAsync(fixture.Server.Options);
        var index = PrefixIndexFactory.CreateRedis(connection, new PrefixIndexOptions { KeyPrefix = "rt" }, Metrics);
        await index.MatchAsync("m", new ulong[] { 1 }, ["warm"], default); // loads the script once per server
        var evalsBefore = await EvalShaCalls();
        var sentBefore = connection.CommandsSent;

        var chain = Enumerable.Range(1, 256).Select(i => (ulong)i).ToArray();
        string[] candidates = ["a", "b", "c", "d", "e", "f", "g", "h"];
        await index.MatchAndRecordAsync("m", chain, candidates, "a", default);
        await index.MatchAndRecordAsync("m", chain, candidates, "b", default);

        Assert.Equal(2, connection.CommandsSent - sentBefore);
        Assert.Equal(2, await EvalShaCalls() - evalsBefore);
    }

    private async Task<long> EvalShaCalls()
    {
        var info = (await fixture.Connection.ExecuteAsync("INFO", "commandstats")).AsString()!;
        foreach (var line in info.Split("\r\n"))
        {
            if (line.StartsWith("cmdstat_evalsha:calls=", StringComparison.Ordinal))
                return long.Parse(line["cmdstat_evalsha:calls=".Length..line.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }

    [Fact]
    public async Task Stats_ReportsRedisMemory()
    {
        var index = PrefixIndexFactory.CreateRedis(fixture.Connection, new PrefixIndexOptions { KeyPrefix = "mem" }, Metrics);
        await index.RecordAsync("m", "a", Enumerable.Range(1, 200).Select(i => (ulong)i * 7919).ToArray(), default);
        var stats = await index.StatsAsync(default);
        Assert.True(stats.MemoryBytes > 200 * 8, $"memory {stats.MemoryBytes}");
        Assert.NotNull(Assert.Single(stats.Endpoints).MemoryBytes);
    }
}
