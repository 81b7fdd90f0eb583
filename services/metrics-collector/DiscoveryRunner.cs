using InferenceMesh.Kubernetes;

namespace InferenceMesh.MetricsCollector;

/// <summary>Runs the configured discovery for the host's lifetime.</summary>
internal sealed class DiscoveryRunner(IPoolDiscovery discovery) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => discovery.RunAsync(stoppingToken);
}
