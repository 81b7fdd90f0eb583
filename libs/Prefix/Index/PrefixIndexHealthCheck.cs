using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InferenceMesh.Prefix.Index;

/// <summary>Ready only while the backing store is reachable: a replica without its store answers "no match" only.</summary>
internal sealed class PrefixIndexHealthCheck(IPrefixIndex index) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(index.IsAvailable
            ? HealthCheckResult.Healthy($"{index.Backend} store reachable")
            : HealthCheckResult.Unhealthy($"{index.Backend} store unreachable; matches answer 'no match' until it is back"));
}
