using Dapr.Client;
using InferenceMesh.DaprStandIn;

namespace InferenceMesh.Foundation.Tests.Support;

/// <summary>A stand-in sidecar plus a Dapr.Client <see cref="DaprClient"/> pointed at its gRPC and HTTP ports.</summary>
internal sealed class Sidecar : IAsyncDisposable
{
    private Sidecar(DaprStandIn.DaprStandIn standIn, DaprClient client)
    {
        StandIn = standIn;
        Client = client;
    }

    public DaprStandIn.DaprStandIn StandIn { get; }

    public DaprClient Client { get; }

    public static async Task<Sidecar> StartAsync(string redis, string? appId = null, Func<DaprStandInOptions, DaprStandInOptions>? configure = null, string? clientToken = null)
    {
        var options = new DaprStandInOptions { AppId = appId ?? "app-" + Guid.NewGuid().ToString("N")[..8], Redis = redis };
        if (configure is not null)
            options = configure(options);
        var standIn = await DaprStandIn.DaprStandIn.StartAsync(options);
        return new Sidecar(standIn, CreateClient(standIn.GrpcEndpoint, standIn.HttpEndpoint, clientToken ?? options.ApiToken));
    }

    /// <summary>A client of the sidecar at these addresses, as <c>AddDaprClient</c> builds it.</summary>
    public static DaprClient CreateClient(Uri grpc, Uri http, string? apiToken)
    {
        var builder = new DaprClientBuilder().UseGrpcEndpoint(grpc.ToString()).UseHttpEndpoint(http.ToString());
        if (apiToken is not null)
            builder.UseDaprApiToken(apiToken);
        return builder.Build();
    }

    /// <summary>The configuration keys Dapr.Client and the services read (as the sidecar's environment would set them).</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["DAPR_GRPC_ENDPOINT"] = StandIn.GrpcEndpoint.ToString(),
        ["DAPR_HTTP_ENDPOINT"] = StandIn.HttpEndpoint.ToString(),
        ["DAPR_API_TOKEN"] = StandIn.Options.ApiToken,
        ["APP_API_TOKEN"] = StandIn.Options.AppApiToken,
    };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StandIn.DisposeAsync();
    }
}
