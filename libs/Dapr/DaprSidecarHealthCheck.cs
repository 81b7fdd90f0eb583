using Dapr.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InferenceMesh.Dapr;

/// <summary>Ready only when the sidecar's outbound APIs answer (<c>GET /v1.0/healthz/outbound</c>).</summary>
internal sealed class DaprSidecarHealthCheck(DaprClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await client.CheckOutboundHealthAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("Dapr sidecar not healthy (GET /v1.0/healthz/outbound)");
}
