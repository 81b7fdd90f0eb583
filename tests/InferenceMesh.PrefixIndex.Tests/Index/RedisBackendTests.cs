using InferenceMesh.Contracts;
using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Prefix.Index;
using InferenceMesh.Prefix.Index.Redis;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Index;

/// <summary>The contract plus what only the redis backend promises, run against redis-server and against Garnet (both
/// through StackExchange.Redis, as in production).</summary>
public abstract class RedisBackendTests : PrefixIndexContractTests
{
    /// <summary>The multiplexer of the server under test (admin commands allowed).</summary>
    protected abstract IConnectionMultiplexer Redis { get; }

    protected override Task<IPrefixIndex> CreateAsync(PrefixIndexOptions options) => Task.FromResult(PrefixIndexFactory.CreateRedis(Redis, options, Metrics));

    private IPrefixIndex Index(int capacity = 1000) => PrefixIndexFactory.CreateRedis(
        Redis, new PrefixIndexOptions { DefaultCapacity = capacity, KeyPrefix = "r" + Guid.NewGuid().ToString("N")[..10] }, Metrics);

    [Fact]
    public async Task MatchAndRecord_IsOneEvalShaPerCall()
    {
        var index = Index();
        await index.MatchAsync("m", new ulong[] { 1 }, ["warm"], default); // the server learns the script once
        var before = await CommandStats.ReadAsync(Redis);
        var operationsBefore = Redis.OperationCount;

        var chain = Enumerable.Range(1, 256).Select(i => (ulong)i).ToArray();
        string[] candidates = ["a", "b", "c", "d", "e", "f", "g", "h"];
        await index.MatchAndRecordAsync("m", chain, candidates, "a", default);
        await index.MatchAndRecordAsync("m", chain, candidates, "b", default);
        await index.MatchAsync("m", chain, candidates, default);

        // The client sent three commands; the server ran three EVALSHA (the script's own ZSCOREs etc. count on redis-server).
        Assert.Equal(3, Redis.OperationCount - operationsBefore);
        var delta = CommandStats.Delta(before, await CommandStats.ReadAsync(Redis));
        Assert.Equal(3, delta.GetValueOrDefault("evalsha"));
        Assert.DoesNotContain(delta.Keys, name => name is "eval" or "script|load" or "script");
    }

    [Fact]
    public async Task ScriptFlushed_NextCallLoadsTheScriptAgain_AndAnswers()
    {
        var index = Index();
        ulong[] chain = [1, 2, 3, 4];
        await index.RecordAsync("m", "a", chain, default);
        await Redis.GetServer(Redis.GetEndPoints()[0]).ScriptFlushAsync();

        Assert.Equal(new[] { 4 }, await index.MatchAsync("m", chain, ["a"], default));
        Assert.Equal(new[] { 4 }, await index.MatchAsync("m", chain, ["a"], default));
    }

    [Fact]
    public async Task ServerErrorInsideTheScript_HasTheSameKindOnBothServers()
    {
        var options = new PrefixIndexOptions { KeyPrefix = "w" + Guid.NewGuid().ToString("N")[..10] };
        var index = PrefixIndexFactory.CreateRedis(Redis, options, Metrics);
        // Someone else's string where the index keeps a sorted set: Redis says "WRONGTYPE …", Garnet "ERR Lua encountered an error: WRONGTYPE …".
        await Redis.GetDatabase().StringSetAsync($"{options.KeyPrefix}:{{m}}:e:a", "not a sorted set");

        var error = await Assert.ThrowsAsync<RedisServerException>(async () => await index.MatchAsync("m", new ulong[] { 1, 2 }, ["a"], default));
        Assert.Equal("WRONGTYPE", RedisErrors.Kind(error));
    }

    [Fact]
    public async Task GetCapacity_ReadsTheCapHashField()
    {
        var options = new PrefixIndexOptions { DefaultCapacity = 321, KeyPrefix = "gc" + Guid.NewGuid().ToString("N")[..8] };
        var index = PrefixIndexFactory.CreateRedis(Redis, options, Metrics);
        Assert.Equal(321, await index.GetCapacityAsync("a", default));
        await index.SetCapacityAsync("a", 55, default);
        Assert.Equal(55, await index.GetCapacityAsync("a", default));
        Assert.Equal(55, (int)await Redis.GetDatabase().HashGetAsync($"{options.KeyPrefix}:cap", "a"));
    }

    /// <summary>Feedback through one replica's service moves the capacity in the shared store: another replica's index
    /// (own instance, same redis) reads it and its records use it.</summary>
    [Fact]
    public async Task CapacityFeedback_IsSeenByAnotherIndexOnTheSameRedis()
    {
        var options = new PrefixIndexOptions { DefaultCapacity = 1000, MinCapacity = 10, CapacityGrowPerBlock = 0.5, CapacityShrinkPerBlock = 0.25, KeyPrefix = "fb" + Guid.NewGuid().ToString("N")[..8] };
        var one = PrefixIndexFactory.CreateRedis(Redis, options, Metrics);
        var two = PrefixIndexFactory.CreateRedis(Redis, options, Metrics);
        var feedback = (IPrefixCapacityFeedbackService)PrefixIndexFactory.CreateService(one, options, Metrics);

        var answer = await feedback.ApplyCapacityFeedbackAsync(new PrefixCapacityFeedback(
            [new PrefixCapacityEvidence("grows", 40, 0), new PrefixCapacityEvidence("shrinks", 0, 3600)]), default);

        Assert.Equal(new Dictionary<string, int> { ["grows"] = 1020, ["shrinks"] = 100 }, answer.Capacities);
        Assert.Equal(1020, await two.GetCapacityAsync("grows", default));
        Assert.Equal(100, await two.GetCapacityAsync("shrinks", default));
        var chain = Enumerable.Range(1, 150).Select(i => (ulong)i * 104_729).ToArray();
        await two.RecordAsync("m", "shrinks", chain, default);
        Assert.Equal(new[] { 100 }, await one.MatchAsync("m", chain, ["shrinks"], default));
    }

    [Fact]
    public async Task Stats_ReportsStoreMemory()
    {
        var index = Index();
        await index.RecordAsync("m", "a", Enumerable.Range(1, 200).Select(i => (ulong)i * 7919).ToArray(), default);
        var stats = await index.StatsAsync(default);
        Assert.True(stats.MemoryBytes > 0, $"memory {stats.MemoryBytes}");
        Assert.NotNull(Assert.Single(stats.Endpoints).MemoryBytes);
    }

    /// <summary>The redis match is a binary search on the chain, the memory one a scan of every block: driven through the
    /// same records (shared prefixes, re-records, capacity eviction, a shrinking capacity), they must agree on every
    /// match — i.e. the redis index stays prefix-closed under eviction.</summary>
    [Fact]
    public async Task Match_AgreesWithTheScanningIndex_UnderEvictionAndShrinkingCapacity()
    {
        var options = new PrefixIndexOptions { KeyPrefix = "eq" + Guid.NewGuid().ToString("N")[..8], DefaultCapacity = 120 };
        var redis = PrefixIndexFactory.CreateRedis(Redis, options, Metrics);
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
}
