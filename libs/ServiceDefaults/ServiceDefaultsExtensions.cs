using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace InferenceMesh.ServiceDefaults;

/// <summary>What every InferenceMesh service sets up the same way: health, options validation, shutdown.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Health-check tag for checks that gate readiness (sidecar, backing store).</summary>
    public const string ReadyTag = "ready";

    /// <summary>Adds health checks, graceful shutdown and the service identity.</summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string appId)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(new ServiceIdentity(appId, ServiceIdentity.NewReplicaId(appId)));
        builder.Services.AddHealthChecks();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>Maps <c>/healthz/live</c> (process up) and <c>/healthz/ready</c> (checks tagged <see cref="ReadyTag"/>).</summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/healthz/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/healthz/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag) });
        return app;
    }
}
