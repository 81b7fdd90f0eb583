using InferenceMesh.Prefix.Index;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Index;

public sealed class RedisIndexFixture : IAsyncLifetime
{
    public RedisServer Server { get; } = RedisServer.Start();

    public IConnectionMultiplexer Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var configuration = PrefixIndexFactory.RedisConfigurationFor(new PrefixIndexOptions { Backend = "redis", Redis = $"127.0.0.1:{Server.Port},allowAdmin=true", RedisTimeoutMs = 30_000 });
        Redis = await ConnectionMultiplexer.ConnectAsync(configuration);
    }

    public async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        Server.Dispose();
    }
}

/// <summary>The redis backend against a real redis-server.</summary>
public sealed class RedisPrefixIndexTests(RedisIndexFixture fixture) : RedisBackendTests, IClassFixture<RedisIndexFixture>
{
    protected override IConnectionMultiplexer Redis => fixture.Redis;
}
