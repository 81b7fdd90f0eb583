using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Redis;

public sealed class RedisReconnectTests : IDisposable
{
    private readonly RedisServer _server = RedisServer.Start();

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task ServerKilledMidStream_InFlightFailTyped_ThenCallsSucceedAfterRestart()
    {
        await using var redis = await RedisConnection.ConnectAsync(_server.Options with { Protocol = 3 });
        var script = new RedisScript("return redis.call('INCR', KEYS[1])");
        Assert.Equal(1L, (await redis.EvalAsync(script, ["counter"], [])).AsInt64());

        // Keep the stream busy: a blocking command is surely in flight when the server dies.
        var inFlight = redis.ExecuteAsync("BLPOP", "never", 0).AsTask();
        var burst = Enumerable.Range(0, 500).Select(i => redis.ExecuteAsync("SET", $"k{i}", i).AsTask()).ToArray();
        _server.Kill();

        var lost = await Assert.ThrowsAsync<RedisConnectionException>(() => inFlight);
        Assert.NotNull(lost.Message);
        foreach (var t in burst)
        {
            // each either completed before the kill or failed with the typed exception, never hangs or desyncs
            try
            {
                await t;
            }
            catch (RedisConnectionException)
            {
            }
        }

        await Eventually.UntilAsync(() => Task.FromResult(!redis.IsConnected), "the loss is noticed");
        var down = await Assert.ThrowsAsync<RedisConnectionException>(async () => await redis.ExecuteAsync("PING"));
        Assert.Contains("Not connected", down.Message, StringComparison.Ordinal);

        _server.Restart();
        await Eventually.UntilAsync(async () => (await redis.ExecuteAsync("PING")).AsString() == "PONG", "commands succeed after restart");
        Assert.True(redis.Reconnects >= 1);

        // The restarted server has an empty script cache: EVALSHA gets NOSCRIPT and the script is loaded again.
        Assert.Equal(1L, (await redis.EvalAsync(script, ["counter"], [])).AsInt64());
        Assert.Equal(2L, (await redis.EvalAsync(script, ["counter"], [])).AsInt64());
    }

    [Fact]
    public async Task Create_WhileServerDown_FailsFastThenConnectsWhenItComes()
    {
        _server.Kill();
        await using var redis = RedisConnection.Create(_server.Options);
        await Eventually.UntilAsync(() => Task.FromResult(redis.LastError is not null), "the first attempt fails");
        await Assert.ThrowsAsync<RedisConnectionException>(async () => await redis.ExecuteAsync("PING"));

        _server.Restart();
        await redis.WaitConnectedAsync().WaitAsync(Eventually.DefaultTimeout);
        Assert.Equal("PONG", (await redis.ExecuteAsync("PING")).AsString());
    }

    [Fact]
    public async Task ConnectAsync_NothingListening_ThrowsConnectionException()
    {
        var options = _server.Options with { Port = RedisServer.FreePort(), ConnectTimeout = TimeSpan.FromSeconds(5) };
        await Assert.ThrowsAsync<RedisConnectionException>(() => RedisConnection.ConnectAsync(options));
    }

    [Fact]
    public async Task Reconnect_RepeatsTheHandshake_AuthProtocolAndDatabase()
    {
        _server.Kill();
        using var secured = RedisServer.Start("--requirepass", "pw");
        await using var redis = await RedisConnection.ConnectAsync(secured.Options with { Password = "pw", Protocol = 3, Database = 2, ClientName = "again" });
        await redis.ExecuteAsync("SET", "before", "1");

        secured.Restart();
        await Eventually.UntilAsync(async () => (await redis.ExecuteAsync("PING")).AsString() == "PONG", "the connection is back");

        // authenticated (else NOAUTH), RESP3 (maps), database 2 and the client name, all re-established
        Assert.Equal(RespType.Map, (await redis.ExecuteAsync("HELLO", 3)).Type);
        var info = (await redis.ExecuteAsync("CLIENT", "INFO")).AsString()!;
        Assert.Contains(" db=2 ", info, StringComparison.Ordinal);
        Assert.Contains(" name=again ", info, StringComparison.Ordinal);
        Assert.True((await redis.ExecuteAsync("GET", "before")).IsNull); // the restarted server is empty
    }
}
