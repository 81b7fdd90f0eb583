using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Prefix.Index;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Redis;

/// <summary>The multiplexer across redis-server crashes, configured as the service configures it.</summary>
public sealed class RedisReconnectTests : IDisposable
{
    private readonly RedisServer _server = RedisServer.Start();

    public void Dispose() => _server.Dispose();

    private string Endpoint => $"127.0.0.1:{_server.Port}";

    [Fact]
    public async Task ServerKilled_CallsFailAtOnce_ThenTheIndexWorksAfterRestart()
    {
        await using var redis = await RedisConnections.ConnectAsync(Endpoint);
        using var metrics = new PrefixIndexMetrics();
        var index = PrefixIndexFactory.CreateRedis(redis, new PrefixIndexOptions { KeyPrefix = "rc" }, metrics);
        ulong[] chain = [1, 2, 3];
        await index.RecordAsync("m", "a", chain, default);
        Assert.True(index.IsAvailable);

        _server.Kill();
        await Poll.UntilSucceedsAsync(() => Task.FromResult(!index.IsAvailable), "the loss is noticed");
        // 30 s command timeout: failing within the test's own deadline means the call did not wait for Redis.
        var down = await Assert.ThrowsAsync<RedisConnectionException>(async () => await index.MatchAsync("m", chain, ["a"], default).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.NotNull(down.Message);

        _server.Restart();
        // The restarted server is empty, scripts included: the first call gets NOSCRIPT and the client loads the script again.
        await Poll.UntilSucceedsAsync(async () =>
        {
            await index.RecordAsync("m", "a", chain, default);
            return (await index.MatchAsync("m", chain, ["a"], default))[0] == 3;
        }, "records and matches work again on the restarted server");
        Assert.True(index.IsAvailable);
    }

    [Fact]
    public async Task Connect_WhileServerDown_ReturnsDisconnected_ThenConnectsWhenItComes()
    {
        _server.Kill();
        await using var redis = await RedisConnections.ConnectAsync(Endpoint + ",connectTimeout=2000");
        Assert.False(redis.IsConnected);
        await Assert.ThrowsAsync<RedisConnectionException>(() => redis.GetDatabase().PingAsync());

        _server.Restart();
        await Poll.UntilSucceedsAsync(() => Task.FromResult(redis.IsConnected), "the multiplexer connects by itself");
        await redis.GetDatabase().PingAsync();
    }

    [Fact]
    public async Task Reconnect_RepeatsTheHandshake_AuthProtocolNameAndDatabase()
    {
        _server.Kill();
        using var secured = RedisServer.Start("--requirepass", "pw");
        await using var redis = await RedisConnections.ConnectAsync($"127.0.0.1:{secured.Port},password=pw,defaultDatabase=2,name=again,protocol=resp3");
        var db = redis.GetDatabase();
        await db.StringSetAsync("before", "1");

        secured.Restart();
        await Poll.UntilSucceedsAsync(async () =>
        {
            await db.PingAsync();
            return true;
        }, "the connection is back");

        // authenticated (else NOAUTH), RESP3 and the client name re-established, and writes still go to database 2
        var info = (string?)await db.ExecuteAsync("CLIENT", "INFO") ?? "";
        Assert.Contains(" name=again ", info, StringComparison.Ordinal);
        Assert.Contains(" resp=3", info, StringComparison.Ordinal);
        Assert.False(await db.KeyExistsAsync("before")); // the restarted server is empty
        await db.StringSetAsync("after", "1");
        await using var check = await RedisConnections.ConnectAsync($"127.0.0.1:{secured.Port},password=pw");
        Assert.True(await check.GetDatabase(2).KeyExistsAsync("after"));
        Assert.False(await check.GetDatabase(0).KeyExistsAsync("after"));
    }
}
