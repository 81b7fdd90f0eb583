using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ServiceDefaults;

/// <summary>Logs start, stop and the drain window, so a shutdown is visible in the logs with its deadline.</summary>
internal sealed class LifecycleLogger(IHostApplicationLifetime lifetime, ServiceIdentity identity, IOptions<ServiceDefaultsOptions> options, ILogger<LifecycleLogger> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => ServiceDefaultsLog.Started(logger, identity.AppId, identity.ReplicaId));
        lifetime.ApplicationStopping.Register(() => ServiceDefaultsLog.Stopping(logger, identity.AppId, identity.ReplicaId, options.Value.ShutdownTimeoutSeconds));
        lifetime.ApplicationStopped.Register(() => ServiceDefaultsLog.Stopped(logger, identity.AppId, identity.ReplicaId));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
