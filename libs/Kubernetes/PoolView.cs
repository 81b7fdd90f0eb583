using InferenceMesh.Contracts;

namespace InferenceMesh.Kubernetes;

/// <summary>Everything discovery knows at one moment: pools, models, objectives and the endpoints of each pool.</summary>
/// <param name="Pools">InferencePools (filtered to the configured pool when one is set).</param>
/// <param name="Models">InferenceModels referring to those pools.</param>
/// <param name="Endpoints">Ready endpoints of those pools.</param>
public sealed record PoolView(
    IReadOnlyList<InferencePoolSpec> Pools,
    IReadOnlyList<InferenceModelSpec> Models,
    IReadOnlyList<DiscoveredEndpoint> Endpoints)
{
    /// <summary>A view that also holds InferenceObjectives.</summary>
    public PoolView(IReadOnlyList<InferencePoolSpec> pools, IReadOnlyList<InferenceModelSpec> models,
        IReadOnlyList<DiscoveredEndpoint> endpoints, IReadOnlyList<InferenceObjectiveSpec> objectives)
        : this(pools, models, endpoints) => Objectives = objectives;

    /// <summary>Nothing discovered yet.</summary>
    public static PoolView Empty { get; } = new([], [], []);

    /// <summary>InferenceObjectives referring to at least one of those pools.</summary>
    public IReadOnlyList<InferenceObjectiveSpec> Objectives { get; init; } = [];
}
