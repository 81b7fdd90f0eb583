using Microsoft.Extensions.Hosting;

namespace InferenceMesh.Kubernetes;

/// <summary>Runs the registered <see cref="IPoolDiscovery"/> for the host's lifetime.</summary>
public sealed class PoolDiscoveryRunner(IPoolDiscovery discovery) : BackgroundService
{
    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => discovery.RunAsync(stoppingToken);
}
