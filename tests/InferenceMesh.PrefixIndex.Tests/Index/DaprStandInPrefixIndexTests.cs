using InferenceMesh.Contracts;
using Dapr;
using Dapr.Client;
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
        Sidecar = await StandIn.StartAsync(new StandInOptions { AppId = AppIds.PrefixIndex, Redis = Redis.Configuration });
        Client = new DaprClientBuilder().UseGrpcEndpoint(Sidecar.GrpcEndpoint.ToString()).UseHttpEndpoint(Sidecar.HttpEndpoint.ToString()).Build();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Sidecar.DisposeAsync();
        Redis.Dispose();
    }
}

/// <summary>The contract through Dapr.Client against the stand-in's gRPC state API (state.redis layout on a real redis-server).</summary>
public sealed class DaprStandInPrefixIndexTests(DaprStandInFixture fixture) : PrefixIndexContractTests, IClassFixture<DaprStandInFixture>
{
    protected override Task<IPrefixIndex> CreateAsync(PrefixIndexOptions options) => Task.FromResult(PrefixIndexFactory.CreateDapr(fixture.Client, options, Metrics));

    [Fact]
    public async Task Record_WritesBlockEntriesWithTheConfiguredTtl()
    {
        var index = PrefixIndexFactory.CreateDapr(fixture.Client, new PrefixIndexOptions { KeyPrefix = "ttl", DaprEntryTtlSeconds = 600 }, Metrics);
        await index.RecordAsync("m", "a", new ulong[] { 0xABCDEF }, default);
        // state.redis keys are "{appid}||{key}"
        var ttl = await fixture.Sidecar.Redis.KeyTimeToLiveAsync("prefix-index||ttl|m|b|0000000000abcdef");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(600));
    }

    [Fact]
    public async Task StoreDown_IsUnavailable_ThenRecovers()
    {
        using var redis = RedisServer.Start();
        await using var sidecar = await StandIn.StartAsync(new StandInOptions { AppId = AppIds.PrefixIndex, Redis = redis.Configuration + ",abortConnect=false" });
        using var client = new DaprClientBuilder().UseGrpcEndpoint(sidecar.GrpcEndpoint.ToString()).UseHttpEndpoint(sidecar.HttpEndpoint.ToString()).Build();
        var index = PrefixIndexFactory.CreateDapr(client, new PrefixIndexOptions { KeyPrefix = "down" }, Metrics);
        Assert.Equal(new[] { 0 }, await index.MatchAsync("m", new ulong[] { 1, 2 }, ["a"], default));

        redis.Kill();
        await Assert.ThrowsAnyAsync<DaprException>(async () => await index.MatchAsync("m", new ulong[] { 1, 2 }, ["a"], default));
        Assert.False(index.IsAvailable);
        redis.Restart();

        await Poll.UntilSucceedsAsync(async () =>
        {
            try
            {
                return (await index.MatchAsync("m", new ulong[] { 1, 2 }, ["a"], default))[0] == 0;
            }
            catch (DaprException)
            {
                return false;
            }
        }, "the index answers again once the store is back");
        Assert.True(index.IsAvailable);
    }
}
