using Microsoft.Extensions.Hosting;

namespace InferenceMesh.Kubernetes;

/// <summary>Runs the registered <see cref="IPoolDiscovery"/> for the host's lifetime.</summary>
public sealed class PoolDiscoveryRunner(IPoolDiscovery discovery) : BackgroundService
{
    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Hosted services start in order and ExecuteAsync runs in the background: reading the pool file here means every
        // service started after this one (and the first request) already sees it.
        if (discovery is PoolFileDiscovery file)
            file.Reload();
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => discovery.RunAsync(stoppingToken);
}
