using InferenceMesh.Prefix.Index;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Index;

/// <summary>One server for a <see cref="RedisBackendTests"/> class and a connection to it configured as the redis backend
/// configures its own (admin on, for INFO commandstats); the server stops after the connection.</summary>
public abstract class RedisBackendFixture(IDisposable server, string endpoint) : IAsyncLifetime
{
    public IConnectionMultiplexer Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var configuration = PrefixIndexFactory.RedisConfigurationFor(new PrefixIndexOptions { Backend = "redis", Redis = endpoint + ",allowAdmin=true", RedisTimeoutMs = 30_000 });
        Redis = await ConnectionMultiplexer.ConnectAsync(configuration);
    }

    public async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        server.Dispose();
    }
}
