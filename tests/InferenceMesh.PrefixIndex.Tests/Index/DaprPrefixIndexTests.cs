using InferenceMesh.Dapr;
using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Prefix.Index;

namespace InferenceMesh.PrefixIndex.Tests.Index;

public sealed class FakeSidecarFixture : IAsyncLifetime
{
    public FakeDaprStateSidecar Sidecar { get; private set; } = null!;

    public DaprClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sidecar = await FakeDaprStateSidecar.StartAsync();
        Client = DaprClient.Create(new DaprClientOptions { HttpEndpoint = Sidecar.Endpoint, RequestTimeoutSeconds = 30 });
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Sidecar.DisposeAsync();
    }
}

/// <summary>The contract through the Dapr state API, against <see cref="FakeDaprStateSidecar"/> (foundation's
/// tests/DaprStandIn was not available when this was written).</summary>
public sealed class DaprPrefixIndexTests(FakeSidecarFixture fixture) : PrefixIndexContractTests, IClassFixture<FakeSidecarFixture>
{
    protected override Task<IPrefixIndex> CreateAsync(PrefixIndexOptions options) => Task.FromResult(PrefixIndexFactory.CreateDapr(fixture.Client, options, Metrics));

    [Fact]
    public async Task StoreDown_IsUnavailable_ThenRecovers()
    {
        var index = PrefixIndexFactory.CreateDapr(fixture.Client, new PrefixIndexOptions { KeyPrefix = "down" }, Metrics);
        fixture.Sidecar.StoreUp = false;
        try
        {
            await Assert.ThrowsAsync<DaprApiException>(async () => await index.MatchAsync("m", new ulong[] { 1, 2 }, ["a"], default));
            Assert.False(index.IsAvailable);
        }
        finally
        {
            fixture.Sidecar.StoreUp = true;
        }
        Assert.Equal(new[] { 0 }, await index.MatchAsync("m", new ulong[] { 1, 2 }, ["a"], default));
        Assert.True(index.IsAvailable);
    }
}
