using System.Net;

namespace InferenceMesh.Dapr;

public sealed partial class DaprClient
{
    /// <summary><c>GET /v1.0/healthz</c>: true when the sidecar answers 204 (fully initialised, app channel included).</summary>
    public Task<bool> CheckHealthAsync(CancellationToken cancellationToken = default) =>
        ProbeAsync("v1.0/healthz", cancellationToken);

    /// <summary><c>GET /v1.0/healthz/outbound</c>: true when the sidecar's outbound APIs work (usable before the app channel exists).</summary>
    public Task<bool> CheckOutboundHealthAsync(CancellationToken cancellationToken = default) =>
        ProbeAsync("v1.0/healthz/outbound", cancellationToken);

    /// <summary>Polls <c>healthz/outbound</c> until it answers 204 or <paramref name="timeout"/> passes; returns whether it became healthy.</summary>
    public async Task<bool> WaitForSidecarAsync(TimeSpan timeout, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var clock = timeProvider ?? TimeProvider.System;
        var start = clock.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            if (await CheckOutboundHealthAsync(cancellationToken).ConfigureAwait(false))
                return true;
            if (clock.GetElapsedTime(start) >= timeout)
                return false;
            await Task.Delay(delay, clock, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
        }
    }

    private async Task<bool> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        using var request = NewRequest(HttpMethod.Get, path);
        try
        {
            using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            return response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK;
        }
        catch (DaprApiException)
        {
            return false;
        }
    }
}
