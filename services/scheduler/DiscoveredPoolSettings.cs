using InferenceMesh.Contracts;
using InferenceMesh.Kubernetes;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler;

/// <summary>Hands every discovered InferencePool's annotations (routing strategy, queueing switch) to the scheduler and
/// keeps them current; a pool that disappears falls back to <c>Scheduler:Pools</c> and the defaults.</summary>
internal sealed partial class DiscoveredPoolSettings(IPoolDiscovery discovery, SchedulingService scheduler, ILogger<DiscoveredPoolSettings> logger)
    : IHostedService
{
    private static readonly IReadOnlyDictionary<string, string> NoAnnotations = new Dictionary<string, string>(StringComparer.Ordinal);
    private readonly Lock _applyLock = new();
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _applied = new(StringComparer.Ordinal);
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Subscribe before the first apply so no change falls between the two.
        discovery.Changed += OnChanged;
        Apply();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        discovery.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnChanged(PoolView view) => Apply();

    private void Apply()
    {
        // Always from the latest view, under a lock: concurrent notifications never leave older settings in place.
        lock (_applyLock)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pool in discovery.Current.Pools)
            {
                if (!seen.Add(pool.Name))
                    continue; // Same name in two namespaces: the first (sorted) wins, as for snapshots keyed by name.
                if (_applied.TryGetValue(pool.Name, out var before) && SameAnnotations(before, pool.Annotations))
                    continue;
                _applied[pool.Name] = pool.Annotations;
                scheduler.ConfigurePool(pool.Name, pool.Annotations);
                var strategy = Get(pool.Annotations, PoolAnnotations.RoutingStrategy);
                var queueing = Get(pool.Annotations, PoolAnnotations.UseQueueing);
                LogApplied(logger, pool.Name, strategy, queueing);
                WarnUnknown(pool.Name, pool.Annotations);
            }
            List<string>? gone = null;
            foreach (var name in _applied.Keys)
            {
                if (!seen.Contains(name))
                    (gone ??= []).Add(name);
            }
            if (gone is null)
                return;
            foreach (var name in gone)
            {
                _applied.Remove(name);
                scheduler.ConfigurePool(name, NoAnnotations);
                LogRemoved(logger, name);
            }
        }
    }

    /// <summary>One warning per pool and set of unknown annotations under the seeds' prefixes (a typo would otherwise
    /// pass silently); a pool re-applied with the same set is not warned again.</summary>
    private void WarnUnknown(string pool, IReadOnlyDictionary<string, string> annotations)
    {
        var unknown = PoolAnnotations.UnknownUnderPrefixes(annotations);
        var key = string.Join(',', unknown);
        if (unknown.Count > 0 && _warned.Add(pool + "|" + key))
            LogUnknownAnnotations(logger, pool, key);
    }

    private static string Get(IReadOnlyDictionary<string, string> annotations, string key) =>
        annotations.TryGetValue(key, out var v) ? v : "(unset)";

    private static bool SameAnnotations(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        string.Equals(a.GetValueOrDefault(PoolAnnotations.RoutingStrategy), b.GetValueOrDefault(PoolAnnotations.RoutingStrategy), StringComparison.Ordinal)
        && string.Equals(a.GetValueOrDefault(PoolAnnotations.UseQueueing), b.GetValueOrDefault(PoolAnnotations.UseQueueing), StringComparison.Ordinal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pool {Pool} from discovery: routing strategy {Strategy}, queueing {Queueing}")]
    private static partial void LogApplied(ILogger logger, string pool, string strategy, string queueing);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool {Pool} has annotations this scheduler does not know, ignored: {Annotations}")]
    private static partial void LogUnknownAnnotations(ILogger logger, string pool, string annotations);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pool {Pool} no longer discovered; its annotations are cleared")]
    private static partial void LogRemoved(ILogger logger, string pool);
}
