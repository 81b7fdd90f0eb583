using InferenceMesh.Contracts;

namespace InferenceMesh.Kubernetes;

/// <summary>Everything discovery knows at one moment: pools, models and the endpoints of each pool.</summary>
/// <param name="Pools">InferencePools (filtered to the configured pool when one is set).</param>
/// <param name="Models">InferenceModels referring to those pools.</param>
/// <param name="Endpoints">Ready endpoints of those pools.</param>
public sealed record PoolView(
    IReadOnlyList<InferencePoolSpec> Pools,
    IReadOnlyList<InferenceModelSpec> Models,
    IReadOnlyList<DiscoveredEndpoint> Endpoints)
{
    /// <summary>Nothing discovered yet.</summary>
    public static PoolView Empty { get; } = new([], [], []);
}
