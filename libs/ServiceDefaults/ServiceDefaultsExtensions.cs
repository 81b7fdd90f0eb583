using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ServiceDefaults;

/// <summary>What every InferenceMesh service sets up the same way: health, options validation, metrics, telemetry, shutdown.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Health-check tag for checks that gate readiness (sidecar, backing store).</summary>
    public const string ReadyTag = "ready";

    /// <summary>Route of the Prometheus exposition.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Adds the service identity, validated <c>Service</c> options, health checks (readiness drops on shutdown),
    /// OpenTelemetry metrics and traces (Prometheus exporter for <c>/metrics</c>; OTLP export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set), trace ids in log
    /// scopes, lifecycle logging and the graceful-shutdown window.</summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string appId)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(appId);
        var services = builder.Services;
        var identity = new ServiceIdentity(appId, ServiceIdentity.NewReplicaId(appId));
        services.AddSingleton(identity);
        // TryAdd: a test (or an embedding host) may bring its own clock.
        services.TryAddSingleton(TimeProvider.System);

        services.AddValidatedOptions<ServiceDefaultsOptions>(ServiceDefaultsOptions.Section);
        services.AddOptions<HostOptions>().Configure<IOptions<ServiceDefaultsOptions>>(
            (host, o) => host.ShutdownTimeout = TimeSpan.FromSeconds(o.Value.ShutdownTimeoutSeconds));
        services.AddHostedService<LifecycleLogger>();

        services.AddHealthChecks().AddCheck<ShutdownHealthCheck>("shutdown", tags: [ReadyTag]);

        ServiceDefaultsTelemetry.AddTelemetry(builder, identity);
        return builder;
    }

    /// <summary>Maps <c>/healthz/live</c> (process up), <c>/healthz/ready</c> (checks tagged <see cref="ReadyTag"/>) and
    /// <c>/metrics</c> (the OpenTelemetry Prometheus exporter: our <c>InferenceMesh.*</c> meters, ASP.NET Core, HttpClient and runtime).</summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag) });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}
