namespace InferenceMesh.Contracts;

/// <summary>InferencePool annotations and pod labels the seeds use.</summary>
public static class PoolAnnotations
{
    public const string RoutingStrategy = "inference.networking.x-k8s.io/routing-strategy";
    public const string UseQueueing = "inference-epp-env.networking.x-k8s.io/experimental-use-queueing";
    public const string EngineTypeLabel = "inference.networking.k8s.io/engine-type";
    public const string StrategyDefault = "DEFAULT";
    public const string StrategyPrefixCache = "PREFIX_CACHE";
    public const string StrategyPrecisePrefixCache = "PRECISE_PREFIX_CACHE";
}
