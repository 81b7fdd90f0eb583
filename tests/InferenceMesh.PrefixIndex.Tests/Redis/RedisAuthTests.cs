using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Redis;

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
    [Fact]
    public async Task NoPassword_CommandsAreRejectedWithNoAuth()
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.Options);
        var error = await Assert.ThrowsAsync<RedisServerException>(async () => await redis.ExecuteAsync("GET", "x"));
        Assert.Equal("NOAUTH", error.Prefix);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RequirePass_DefaultUser_Authenticates(int protocol)
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.Options with { Password = RedisAuthFixture.Password, Protocol = protocol });
        Assert.Equal("default", (await redis.ExecuteAsync("ACL", "WHOAMI")).AsString());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task AclUser_WithUserAndPassword_Authenticates(int protocol)
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.Options with
        {
            User = "alice",
            Password = RedisAuthFixture.AlicePassword,
            Protocol = protocol,
            ClientName = "prefix-tests",
            Database = 1,
        });
        Assert.Equal("alice", (await redis.ExecuteAsync("ACL", "WHOAMI")).AsString());
        Assert.Equal("prefix-tests", (await redis.ExecuteAsync("CLIENT", "GETNAME")).AsString());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task WrongPassword_ConnectFailsWithWrongPass(int protocol)
    {
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() =>
            RedisConnection.ConnectAsync(fixture.Server.Options with { User = "alice", Password = "nope", Protocol = protocol }));
        var server = Assert.IsType<RedisServerException>(error.InnerException);
        Assert.Equal("WRONGPASS", server.Prefix);
    }
}
