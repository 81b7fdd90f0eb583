using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Prefix.Index;
using StandIn = InferenceMesh.DaprStandIn.DaprStandIn;
using StandInOptions = InferenceMesh.DaprStandIn.DaprStandInOptions;

namespace InferenceMesh.PrefixIndex.Tests.Index;

public sealed class DaprStandInFixture : IAsyncLifetime
{
    public RedisServer Redis { get; } = RedisServer.Start();

    public StandIn Sidecar { get; private set; } = null!;

    public DaprClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sidecar = await StandIn.StartAsync(new StandInOptions { AppId = AppIds.PrefixIndex, Redis = Redis.Options });
        Client = DaprClient.Create(new DaprClientOptions { HttpEndpoint = Sidecar.HttpEndpoint.ToString(), RequestTimeoutSeconds = 30 });
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Sidecar.DisposeAsync();
        Redis.Dispose();
    }
}

/// <summary>The contract through the Dapr state API of foundation's stand-in (state.redis layout on a real redis-server).</summary>
public sealed class DaprStandInPrefixIndexTests(DaprStandInFixture fixture) : PrefixIndexContractTests, IClassFixture<DaprStandInFixture>
{
    protected override Task<IPrefixIndex> CreateAsync(PrefixIndexOptions options) => Task.FromResult(PrefixIndexFactory.CreateDapr(fixture.Client, options, Metrics));

    [Fact]
    public async Task Record_WritesBlockEntriesWithTheConfiguredTtl()
    {
        var index = PrefixIndexFactory.CreateDapr(fixture.Client, new PrefixIndexOptions { KeyPrefix = "ttl", DaprEntryTtlSeconds = 600 }, Metrics);
        await index.RecordAsync("m", "a", new ulong[] { 0xABCDEF }, default);
        // state.redis keys are "{appid}||{key}"
        var ttl = await fixture.Sidecar.Redis.ExecuteAsync("TTL", "prefix-index||ttl|m|b|0000000000abcdef");
        Assert.InRange(ttl.AsInt64(), 1, 600);
    }
}
