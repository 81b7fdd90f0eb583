using InferenceMesh.Dapr;
using InferenceMesh.Kubernetes;
using InferenceMesh.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace InferenceMesh.MetricsCollector;

/// <summary>Registration and endpoints of the MetricsCollector service.</summary>
public static class MetricsCollectorExtensions
{
    /// <summary>Registers the <c>Collector</c> options, discovery (Kubernetes or pool file), the scrapers, the snapshot publisher
    /// (Dapr pub/sub + state store) and the collector's meter. An <see cref="IPoolDiscovery"/> registered before this call wins.</summary>
    public static WebApplicationBuilder AddMetricsCollector(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddValidatedOptions<CollectorOptions>(CollectorOptions.Section);
        services.AddSingleton<IValidateOptions<CollectorOptions>, CollectorOptionsValidator>();
        services.AddDaprClient();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPoolDiscovery>(DiscoveryFactory.Create);
        services.TryAddSingleton<ISnapshotStore>(sp => new DaprSnapshotStore(sp.GetRequiredService<DaprClient>()));
        services.AddSingleton<CollectorMetrics>();
        services.AddSingleton<ScrapeClient>();
        services.AddSingleton<ScrapeManager>();
        services.AddSingleton<SnapshotPublisher>();
        services.AddHostedService<PoolDiscoveryRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<ScrapeManager>());
        services.AddHostedService(sp => sp.GetRequiredService<SnapshotPublisher>());
        return builder;
    }

    /// <summary>Maps <c>GET /endpoints</c>, <c>GET /pools</c>, <c>GET /snapshots</c> and <c>GET /snapshots/{pool}</c>.</summary>
    public static IEndpointRouteBuilder MapMetricsCollectorApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapCollectorApi();
    }
}
