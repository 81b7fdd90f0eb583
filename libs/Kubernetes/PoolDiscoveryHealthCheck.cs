using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Kubernetes;

/// <summary>Readiness of a service that takes InferenceModels / InferencePool settings from Kubernetes discovery: not
/// ready until the first list arrived (a request before it would miss its model's criticality and target rewrite), then
/// ready, as the reference picker's readiness (pool synced). With a non-zero <see cref="DiscoveryOptions.ReadyTimeout"/>
/// it reports ready anyway after that long, with a warning (opt-in, for a list that keeps failing); by default it waits
/// for the sync, however long. A CRD version that is not served counts as listed. Other discovery modes are always ready here (the pool file is read
/// before the service starts).</summary>
public sealed partial class PoolDiscoveryHealthCheck : IHealthCheck
{
    private readonly IPoolDiscovery _discovery;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;
    private readonly long _started;
    private int _warned;

    public PoolDiscoveryHealthCheck(IPoolDiscovery discovery, IOptions<DiscoveryOptions> options, TimeProvider time, ILogger<PoolDiscoveryHealthCheck> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _discovery = discovery;
        _time = time;
        _logger = logger;
        _timeout = options.Value.ReadyTimeout;
        _started = time.GetTimestamp();
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_discovery is not KubernetesPoolDiscovery kubernetes || kubernetes.HasSynced)
            return Task.FromResult(HealthCheckResult.Healthy());
        var waited = _time.GetElapsedTime(_started);
        if (_timeout == TimeSpan.Zero)
            return Task.FromResult(HealthCheckResult.Unhealthy($"waiting for the first list of InferencePools and InferenceModels ({waited.TotalSeconds:0.0} s)"));
        if (waited < _timeout)
            return Task.FromResult(HealthCheckResult.Unhealthy($"waiting for the first list of InferencePools and InferenceModels ({waited.TotalSeconds:0.0} s of {_timeout.TotalSeconds:0} s)"));
        if (Interlocked.Exchange(ref _warned, 1) == 0)
            LogNotSynced(_logger, _timeout.TotalSeconds);
        return Task.FromResult(HealthCheckResult.Degraded("InferencePools/InferenceModels not listed yet; serving with what is known"));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "InferencePools/InferenceModels were not listed within {Seconds} s; reporting ready with what is known (check the CRDs and the Role)")]
    private static partial void LogNotSynced(ILogger logger, double seconds);
}
