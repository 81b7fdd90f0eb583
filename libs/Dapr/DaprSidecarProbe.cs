using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Dapr;

/// <summary>At start-up, waits in the background for the sidecar (<see cref="DaprClient.WaitForSidecarAsync"/>) and logs
/// whether it came up; never blocks start (readiness reports the sidecar meanwhile).</summary>
internal sealed class DaprSidecarProbe(DaprClient client, IConfiguration configuration, ILogger<DaprSidecarProbe> logger) : BackgroundService
{
    /// <summary>How long the probe waits before it logs that the sidecar is missing.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var endpoint = DaprSidecarSettings.HttpEndpoint(configuration);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(Wait);
        try
        {
            await client.WaitForSidecarAsync(timeout.Token).ConfigureAwait(false);
            DaprLog.SidecarReady(logger, endpoint);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down before the sidecar appeared.
        }
        catch (Exception ex) when (ex is OperationCanceledException or DaprException)
        {
            DaprLog.SidecarMissing(logger, endpoint, (int)Wait.TotalSeconds);
        }
    }
}
