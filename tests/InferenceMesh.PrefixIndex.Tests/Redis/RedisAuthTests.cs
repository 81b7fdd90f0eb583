using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Redis;

public sealed class RedisAuthFixture : IDisposable
{
    public const string Password = "s3cret-default";
    public const string AlicePassword = "alice-pw";

    public RedisServer Server { get; } = RedisServer.Start("--requirepass", Password, "--user", "alice", "on", ">" + AlicePassword, "~*", "&*", "+@all");

    public void Dispose() => Server.Dispose();
}

public sealed class RedisAuthTests(RedisAuthFixture fixture) : IClassFixture<RedisAuthFixture>
{
    private string Endpoint => $"127.0.0.1:{fixture.Server.Port}";

    [Theory]
    [InlineData("resp2")]
    [InlineData("resp3")]
    public async Task RequirePass_DefaultUser_Authenticates(string protocol)
    {
        await using var redis = await RedisConnections.ConnectAsync($"{Endpoint},password={RedisAuthFixture.Password},protocol={protocol}");
        Assert.Equal("default", (string?)await redis.GetDatabase().ExecuteAsync("ACL", "WHOAMI"));
    }

    [Theory]
    [InlineData("127.0.0.1:{0},user=alice,password=alice-pw,db=1")]
    [InlineData("redis://alice:alice-pw@127.0.0.1:{0}/1")]
    public async Task AclUser_FromConnectionStringOrUri_AuthenticatesWithNameAndDatabase(string format)
    {
        await using var redis = await RedisConnections.ConnectAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, fixture.Server.Port));
        var db = redis.GetDatabase();
        Assert.Equal(1, db.Database);
        Assert.Equal("alice", (string?)await db.ExecuteAsync("ACL", "WHOAMI"));
        Assert.Equal("prefix-index", (string?)await db.ExecuteAsync("CLIENT", "GETNAME"));
    }

    [Theory]
    [InlineData(",user=alice,password=nope")]
    [InlineData("")]
    public async Task WrongOrMissingPassword_NeverConnects_AndCallsFailAtOnce(string credentials)
    {
        await using var redis = await RedisConnections.ConnectAsync(Endpoint + credentials);
        Assert.False(redis.IsConnected);
        await Assert.ThrowsAsync<RedisConnectionException>(() => redis.GetDatabase().PingAsync());
    }
}
