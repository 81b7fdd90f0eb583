using System.Globalization;
using System.Text.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Embedded.Ensemble;
using InferenceMesh.EndToEnd.Tests.Support;
using InferenceMesh.Garnet;
using StackExchange.Redis;

namespace InferenceMesh.EndToEnd.Tests;

/// <summary>The embedded prefix index: by default the production redis backend on a Garnet server inside the process,
/// with <c>--prefix-backend memory</c> the in-process index.</summary>
[Trait("Category", "EndToEnd")]
public sealed class EmbeddedPrefixStoreTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(120) };

    [Fact]
    public async Task Default_RecordsRoutingDecisionsInTheInProcessGarnet()
    {
        await using var ensemble = await EmbeddedEnsemble.StartAsync(new EnsembleOptions { Servers = 2, TimeScale = 20 }, RoutingMode.InferenceMesh, CancellationToken.None);
        var garnet = Assert.IsType<InProcessGarnet>(ensemble.Garnet);

        await SendAsync(ensemble, 3);

        // The record arrives after the response, as a routing-decisions event: poll the store itself.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString);
        await Poll.UntilSucceedsAsync(async () => (await redis.GetDatabase().SetMembersAsync("pi:models")).Length > 0, "the index has a model in Garnet", TimeSpan.FromSeconds(60));
        var stats = await StatsAsync(ensemble);
        Assert.Equal("redis", stats.GetProperty("backend").GetString());
        Assert.True(stats.GetProperty("totalEntries").GetInt64() > 0);
    }

    [Fact]
    public async Task PrefixBackendMemory_StartsNoGarnet_AndIndexesInMemory()
    {
        await using var ensemble = await EmbeddedEnsemble.StartAsync(
            new EnsembleOptions { Servers = 2, TimeScale = 20, PrefixBackend = PrefixBackend.Memory }, RoutingMode.InferenceMesh, CancellationToken.None);
        Assert.Null(ensemble.Garnet);

        await SendAsync(ensemble, 3);

        await Poll.UntilSucceedsAsync(async () => (await StatsAsync(ensemble)).GetProperty("totalEntries").GetInt64() > 0, "the memory index has entries", TimeSpan.FromSeconds(60));
        Assert.Equal("memory", (await StatsAsync(ensemble)).GetProperty("backend").GetString());
    }

    private static async Task SendAsync(EmbeddedEnsemble ensemble, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var result = await OpenAi.SendAsync(Http, ensemble.GatewayAddress, new EnsembleOptions().Model,
                [("user", "shared prefix " + new string('p', 400) + i.ToString(CultureInfo.InvariantCulture))], stream: false, maxTokens: 3);
            Assert.Equal(200, result.Status);
        }
    }

    private static async Task<JsonElement> StatsAsync(EmbeddedEnsemble ensemble)
    {
        using var document = JsonDocument.Parse(await Http.GetStringAsync(new Uri(ensemble.ServiceAddresses[AppIds.PrefixIndex], "stats")));
        return document.RootElement.Clone();
    }
}
