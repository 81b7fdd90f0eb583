using InferenceMesh.Dapr;
using InferenceMesh.DaprStandIn;
using InferenceMesh.Redis;

namespace InferenceMesh.Foundation.Tests.Support;

/// <summary>A stand-in sidecar plus a <see cref="DaprClient"/> pointed at it.</summary>
internal sealed class Sidecar : IAsyncDisposable
{
    private Sidecar(DaprStandIn.DaprStandIn standIn, DaprClient client)
    {
        StandIn = standIn;
        Client = client;
    }

    public DaprStandIn.DaprStandIn StandIn { get; }

    public DaprClient Client { get; }

    public static async Task<Sidecar> StartAsync(RedisOptions redis, string? appId = null, Func<DaprStandInOptions, DaprStandInOptions>? configure = null, string? clientToken = null)
    {
        var options = new DaprStandInOptions { AppId = appId ?? "app-" + Guid.NewGuid().ToString("N")[..8], Redis = redis };
        if (configure is not null)
            options = configure(options);
        var standIn = await DaprStandIn.DaprStandIn.StartAsync(options);
        var client = DaprClient.Create(new DaprClientOptions { HttpEndpoint = standIn.HttpEndpoint.ToString(), ApiToken = clientToken ?? options.ApiToken });
        return new Sidecar(standIn, client);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StandIn.DisposeAsync();
    }
}
