using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Dapr;

/// <summary>At start-up, waits in the background for <c>/v1.0/healthz/outbound</c> and logs whether the sidecar came up; never blocks start.</summary>
internal sealed class DaprSidecarProbe(IServiceProvider services, IOptions<DaprClientOptions> options, ILogger<DaprSidecarProbe> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = options.Value.SidecarWaitSeconds;
        if (seconds == 0 || services.GetService<EmbeddedMode>() is not null)
            return;
        var client = services.GetRequiredService<DaprClient>();
        try
        {
            if (await client.WaitForSidecarAsync(TimeSpan.FromSeconds(seconds), services.GetService<TimeProvider>(), stoppingToken).ConfigureAwait(false))
                DaprLog.SidecarReady(logger, client.Endpoint);
            else
                DaprLog.SidecarMissing(logger, client.Endpoint, seconds);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down before the sidecar appeared.
        }
    }
}
