using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>Which pool annotations are known, and which under the seeds' prefixes earn the one warning.</summary>
public sealed class PoolAnnotationsTests
{
    [Fact]
    public void UnknownUnderPrefixes_ListsOnlyUnreadKeysUnderTheSeedsPrefixes_Sorted()
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [PoolAnnotations.RoutingStrategy] = "PREFIX_CACHE",
            [PoolAnnotations.UseQueueing] = "true",
            [PoolAnnotations.UseSchedulerV2] = "true",
            ["inference.networking.x-k8s.io/routing-stratgy"] = "DEFAULT",
            ["inference-epp-env.networking.x-k8s.io/experimental-use-flow-control"] = "true",
            ["kubectl.kubernetes.io/last-applied-configuration"] = "{}",
            ["inference.networking.k8s.io/engine-type"] = "vllm",
        };
        Assert.Equal(
            ["inference-epp-env.networking.x-k8s.io/experimental-use-flow-control", "inference.networking.x-k8s.io/routing-stratgy"],
            PoolAnnotations.UnknownUnderPrefixes(annotations));
    }

    [Fact]
    public void UnknownUnderPrefixes_OfTheSeedsPool_IsEmpty() =>
        Assert.Empty(PoolAnnotations.UnknownUnderPrefixes(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [PoolAnnotations.RoutingStrategy] = "DEFAULT",
            [PoolAnnotations.UseSchedulerV2] = "true",
        }));
}
