using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InferenceMesh.Dapr;

/// <summary>Ready only when the sidecar's outbound APIs answer (always healthy in the embedded mode).</summary>
internal sealed class DaprSidecarHealthCheck(IServiceProvider services) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<EmbeddedMode>() is not null)
            return HealthCheckResult.Healthy("embedded: no sidecar");
        var client = services.GetRequiredService<DaprClient>();
        return await client.CheckOutboundHealthAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"Dapr sidecar at {client.Endpoint} not healthy (GET /v1.0/healthz/outbound)");
    }
}
