using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Prefix.Index;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Index;

public sealed class GarnetFixture : IAsyncLifetime
{
    public InProcessGarnet Server { get; } = InProcessGarnet.Start();

    public IConnectionMultiplexer Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var configuration = PrefixIndexFactory.RedisConfigurationFor(new PrefixIndexOptions { Backend = "redis", Redis = Server.ConnectionString, RedisTimeoutMs = 30_000 });
        Redis = await ConnectionMultiplexer.ConnectAsync(configuration);
    }

    public async Task DisposeAsync()
    {
        await Redis.DisposeAsync();
        Server.Dispose();
    }
}

/// <summary>The redis backend against Garnet hosted in this process (the embedded default's store).</summary>
public sealed class GarnetPrefixIndexTests(GarnetFixture fixture) : RedisBackendTests, IClassFixture<GarnetFixture>
{
    protected override IConnectionMultiplexer Redis => fixture.Redis;
}
