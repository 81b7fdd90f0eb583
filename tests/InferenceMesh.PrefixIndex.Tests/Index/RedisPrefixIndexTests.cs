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

    /// <summary>The redis match is a binary search on the chain, the memory one a scan of every block: driven through the
    /// same records (shared prefixes, re-records, capacity eviction, a shrinking capacity), they must agree on every
    /// match — i.e. the redis index stays prefix-closed under eviction.</summary>
    [Fact]
    public async Task Match_AgreesWithTheScanningIndex_UnderEvictionAndShrinkingCapacity()
    {
        var options = new PrefixIndexOptions { KeyPrefix = "eq" + Guid.NewGuid().ToString("N")[..8], DefaultCapacity = 120 };
        var redis = PrefixIndexFactory.CreateRedis(fixture.Connection, options, Metrics);
        var memory = PrefixIndexFactory.CreateMemory(options, Metrics);
        var random = new Random(77);
        string[] endpoints = ["a", "b", "c"];
        // 6 roots, each a family of chains that share a random-length prefix with the root.
        var roots = Enumerable.Range(0, 6).Select(r => Enumerable.Range(0, 64).Select(i => ((ulong)r << 56) | ((ulong)i << 32) | (uint)random.Next()).ToArray()).ToArray();
        ulong[] Query()
        {
            var root = roots[random.Next(roots.Length)];
            var length = 1 + random.Next(64);
            var keep = random.Next(length + 1);
            var variant = (ulong)random.Next(1, 4);
            var chain = new ulong[length];
            for (var i = 0; i < length; i++)
            {
                // Past the divergence every block depends on the one before, as in a real hash chain.
                chain[i] = i < keep ? root[i] : Mix(root[i] ^ (i == 0 ? variant : chain[i - 1] + variant));
            }
            return chain;
        }

        var compared = 0;
        for (var step = 0; step < 400; step++)
        {
            var chain = Query();
            var endpoint = endpoints[random.Next(endpoints.Length)];
            if (step == 200)
            {
                await redis.SetCapacityAsync("b", 40, default);
                await memory.SetCapacityAsync("b", 40, default);
            }
            var fromRedis = await redis.MatchAndRecordAsync("m", chain, endpoints, endpoint, default);
            var fromMemory = await memory.MatchAndRecordAsync("m", chain, endpoints, endpoint, default);
            Assert.True(fromMemory.SequenceEqual(fromRedis), $"step {step}: memory [{string.Join(',', fromMemory)}] redis [{string.Join(',', fromRedis)}]");
            compared += fromMemory.Count(m => m > 0 && m < chain.Length);
        }
        Assert.True(compared > 50, $"only {compared} partial matches compared: the workload does not exercise the search");
    }

    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
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
