using System.Globalization;
using InferenceMesh.Prefix.Index.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InferenceMesh.Prefix.Index;

/// <summary>Ready only while the backing store is reachable: a replica without its store answers "no match" only.
/// On redis the check is a PING through the multiplexer, so a connection that is up but not answering counts as down.</summary>
internal sealed class PrefixIndexHealthCheck(IPrefixIndex index) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!index.IsAvailable)
            return Unreachable(null);
        if (index is not RedisPrefixIndex redis)
            return HealthCheckResult.Healthy($"{index.Backend} store reachable");
        try
        {
            var rtt = await redis.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"redis store reachable (PING {rtt.TotalMilliseconds:0.###} ms)"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return Unreachable(ex);
        }
    }

    private HealthCheckResult Unreachable(Exception? ex) => HealthCheckResult.Unhealthy(
        $"{index.Backend} store unreachable{(ex is null ? "" : $" ({RedisErrors.Kind(ex)}: {ex.Message})")}; matches answer 'no match' until it is back", ex);
}
