using System.Collections.Frozen;

namespace InferenceMesh.Contracts;

/// <summary>InferencePool annotations and pod labels the seeds use (docs/scheduler.md "Pool annotations").</summary>
public static class PoolAnnotations
{
    public const string RoutingStrategy = "inference.networking.x-k8s.io/routing-strategy";
    public const string UseQueueing = "inference-epp-env.networking.x-k8s.io/experimental-use-queueing";

    /// <summary>Seeds 000/003 set it to "true" to get the reference picker's plugin scheduler (filters → scorers →
    /// picker). Ours always schedules that way, so it is accepted and changes nothing.</summary>
    public const string UseSchedulerV2 = "inference.networking.x-k8s.io/experimental-use-scheduler-v2";

    public const string EngineTypeLabel = "inference.networking.k8s.io/engine-type";
    public const string StrategyDefault = "DEFAULT";
    public const string StrategyPrefixCache = "PREFIX_CACHE";
    public const string StrategyPrecisePrefixCache = "PRECISE_PREFIX_CACHE";

    /// <summary>Prefixes of the seeds' pool annotations; an annotation under one of them that is not known is most
    /// likely a typo or a feature we lack, and is worth a warning.</summary>
    public static IReadOnlyList<string> Prefixes { get; } = ["inference.networking.x-k8s.io/", "inference-epp-env.networking.x-k8s.io/"];

    private static readonly FrozenSet<string> Known = new[] { RoutingStrategy, UseQueueing, UseSchedulerV2 }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The annotations under <see cref="Prefixes"/> this code does not read, in key order.</summary>
    public static IReadOnlyList<string> UnknownUnderPrefixes(IReadOnlyDictionary<string, string> annotations)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        List<string>? unknown = null;
        foreach (var key in annotations.Keys)
        {
            if (Known.Contains(key))
                continue;
            foreach (var prefix in Prefixes)
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    (unknown ??= []).Add(key);
                    break;
                }
            }
        }
        if (unknown is null)
            return [];
        unknown.Sort(StringComparer.Ordinal);
        return unknown;
    }
}
