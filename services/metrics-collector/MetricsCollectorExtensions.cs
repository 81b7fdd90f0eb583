using InferenceMesh.Dapr;
using InferenceMesh.Kubernetes;
using InferenceMesh.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace InferenceMesh.MetricsCollector;

/// <summary>Registration and endpoints of the MetricsCollector service.</summary>
public static class MetricsCollectorExtensions
{
    /// <summary>Registers the collector (<see cref="AddMetricsCollectorCore"/>) publishing and saving snapshots through the
    /// Dapr sidecar (Dapr.Client; readiness includes the sidecar).</summary>
    public static WebApplicationBuilder AddMetricsCollector(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddDaprSidecar();
        builder.Services.TryAddSingleton<ISnapshotStore, DaprSnapshotStore>();
        return builder.AddMetricsCollectorCore();
    }

    /// <summary>Registers the <c>Collector</c> options, discovery (Kubernetes or pool file), the scrapers, the snapshot publisher
    /// and the collector's meter. The host registers the <see cref="IEventPublisher"/> and, to save snapshots, the
    /// <see cref="ISnapshotStore"/>. An <see cref="IPoolDiscovery"/> registered before this call wins.</summary>
    public static WebApplicationBuilder AddMetricsCollectorCore(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddValidatedOptions<CollectorOptions>(CollectorOptions.Section);
        services.AddSingleton<IValidateOptions<CollectorOptions>, CollectorOptionsValidator>();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPoolDiscovery>(DiscoveryFactory.Create);
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
