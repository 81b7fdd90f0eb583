using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Redis;

public sealed class RedisServerFixture : IDisposable
{
    public RedisServer Server { get; } = RedisServer.Start();

    public void Dispose() => Server.Dispose();
}

public sealed class RedisConnectionTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    private static string Key(string name) => $"{name}:{Guid.NewGuid():N}";

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task ExecuteAsync_BasicReplyTypes_AreDecoded(int protocol)
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.Options with { Protocol = protocol });
        var key = Key("basic");

        var ok = await redis.ExecuteAsync("SET", key, "héllo");
        Assert.Equal(RespType.SimpleString, ok.Type);
        Assert.True(ok.AsBoolean());

        var value = await redis.ExecuteAsync("GET", key);
        Assert.Equal(RespType.BulkString, value.Type);
        Assert.Equal("héllo", value.AsString());

        var missing = await redis.ExecuteAsync("GET", key + ":missing");
        Assert.True(missing.IsNull);

        Assert.Equal(5L, (await redis.ExecuteAsync("INCRBY", key + ":n", 5)).AsInt64());

        await redis.ExecuteAsync("RPUSH", key + ":l", "a", "b", 42);
        var list = await redis.ExecuteAsync("LRANGE", key + ":l", 0, -1);
        Assert.Equal(RespType.Array, list.Type);
        Assert.Equal(["a", "b", "42"], list.Items.ToArray().Select(v => v.AsString()));

        var error = await Assert.ThrowsAsync<RedisServerException>(async () => await redis.ExecuteAsync("INCR", key + ":l"));
        Assert.Equal("WRONGTYPE", error.Prefix);

        // the connection is still in sync after an error reply
        Assert.Equal("héllo", (await redis.ExecuteAsync("GET", key)).AsString());
    }

    [Fact]
    public async Task ExecuteAsync_Resp3_ReturnsMapsDoublesAndNull()
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.Options with { Protocol = 3 });
        var key = Key("resp3");
        await redis.ExecuteAsync("HSET", key, "a", "1", "b", "2");

        var map = await redis.ExecuteAsync("HGETALL", key);
        Assert.Equal(RespType.Map, map.Type);
        var dict = map.AsMap();
        Assert.Equal("1", dict["a"].AsString());
        Assert.Equal("2", dict["b"].AsString());

        await redis.ExecuteAsync("ZADD", key + ":z", 1.5, "m");
        var score = await redis.ExecuteAsync("ZSCORE", key + ":z", "m");
        Assert.Equal(RespType.Double, score.Type);
        Assert.Equal(1.5, score.AsDouble());

        var set = await redis.ExecuteAsync("SMEMBERS", key + ":none");
        Assert.Equal(RespType.Set, set.Type);
        Assert.Equal(0, set.Count);

        Assert.Equal(RespType.Null, (await redis.ExecuteAsync("GET", key + ":none")).Type);

        var hello = await redis.ExecuteAsync("HELLO", 3);
        Assert.Equal(3L, hello.AsMap()["proto"].AsInt64());
    }

    [Fact]
    public async Task ExecuteAsync_ManyConcurrentCommands_EachGetsItsOwnReply()
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.Options);
        var prefix = Key("pipe");
        const int count = 4000;

        var writes = new Task[count];
        for (var i = 0; i < count; i++)
        {
            var n = i;
            writes[i] = Task.Run(async () => await redis.ExecuteAsync("SET", $"{prefix}:{n}", $"value-{n}"));
        }
        await Task.WhenAll(writes);

        var reads = new Task<string?>[count];
        for (var i = 0; i < count; i++)
        {
            var n = i;
            reads[i] = Task.Run(async () => (await redis.ExecuteAsync("GET", $"{prefix}:{n}")).AsString());
        }
        var values = await Task.WhenAll(reads);
        for (var i = 0; i < count; i++)
            Assert.Equal($"value-{i}", values[i]);

        var increments = new Task<long>[count];
        for (var i = 0; i < count; i++)
            increments[i] = redis.ExecuteAsync("INCR", prefix + ":counter").AsTask().ContinueWith(t => t.Result.AsInt64(), TaskScheduler.Default);
        var seen = await Task.WhenAll(increments);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), seen.Order());
    }

    [Fact]
    public async Task ExecuteAsync_CancelledWaiter_DoesNotDesyncTheStream()
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.Options);
        var key = Key("cancel");
        await redis.ExecuteAsync("SET", key, "after");

        using var cts = new CancellationTokenSource();
        // BLPOP on an empty list answers null only after its own 1 s timeout.
        var blocked = redis.ExecuteAsync("BLPOP", [key + ":empty", 1], cts.Token).AsTask();
        var next = redis.ExecuteAsync("GET", key).AsTask();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => blocked);
        // if the dropped BLPOP reply were handed to the next waiter, GET would see null here
        Assert.Equal("after", (await next).AsString());
        Assert.Equal("after", (await redis.ExecuteAsync("GET", key)).AsString());
    }

    [Fact]
    public async Task ExecuteAsync_NoReplyInTime_ThrowsTimeoutAndStaysUsable()
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.Options with { CommandTimeout = TimeSpan.FromMilliseconds(100) });
        var key = Key("timeout");

        await Assert.ThrowsAsync<RedisTimeoutException>(async () => await redis.ExecuteAsync("BLPOP", key, 2));

        await Eventually.UntilAsync(async () => (await redis.ExecuteAsync("PING")).AsString() == "PONG", "PING answers after the blocked command");
        await Eventually.UntilAsync(async () =>
        {
            await redis.ExecuteAsync("SET", key + ":v", "x");
            return (await redis.ExecuteAsync("GET", key + ":v")).AsString() == "x";
        }, "GET returns its own value");
    }

    [Fact]
    public async Task ExecuteAsync_AlreadyCancelled_SendsNothing()
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.Options);
        var key = Key("precancel");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await redis.ExecuteAsync("SET", [key, "1"], new CancellationToken(true)));
        Assert.True((await redis.ExecuteAsync("GET", key)).IsNull);
    }

    [Fact]
    public async Task EvalAsync_LoadsScriptOnNoScript_AndAfterFlush()
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.Options);
        var script = new RedisScript($"return KEYS[1] .. ':' .. ARGV[1] .. ':{Guid.NewGuid():N}'");
        var key = Key("k");

        var first = await redis.EvalAsync(script, [key], ["a"]);
        Assert.StartsWith(key + ":a:", first.AsString(), StringComparison.Ordinal);

        var loaded = await redis.ExecuteAsync("SCRIPT", "EXISTS", script.Sha1);
        Assert.Equal(1L, loaded[0].AsInt64());

        await redis.ExecuteAsync("SCRIPT", "FLUSH");
        var again = await redis.EvalAsync(script, [key], ["b"]);
        Assert.StartsWith(key + ":b:", again.AsString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalAsync_ScriptError_ThrowsServerException()
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.Options);
        var script = new RedisScript("return redis.call('INCR', KEYS[1])");
        var key = Key("evalerr");
        await redis.ExecuteAsync("SET", key, "not-a-number");
        await Assert.ThrowsAsync<RedisServerException>(async () => await redis.EvalAsync(script, [key], []));
        Assert.Equal("not-a-number", (await redis.ExecuteAsync("GET", key)).AsString());
    }

    [Fact]
    public void Script_Sha1_MatchesRedisNaming()
    {
        // SHA-1 of "return 1" as SCRIPT LOAD reports it.
        Assert.Equal("e0e1f9fabfc9d4800c877a703b823ac0578ff8db", new RedisScript("return 1").Sha1);
    }
}
