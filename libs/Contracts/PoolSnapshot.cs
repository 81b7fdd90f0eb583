namespace InferenceMesh.Contracts;

/// <summary>Every endpoint of one pool at one collector tick, published to <see cref="DaprNames.EndpointMetricsTopic"/>.</summary>
/// <param name="Pool">InferencePool name.</param>
/// <param name="CollectorId">The publishing collector replica; sequences are per collector.</param>
/// <param name="Sequence">Monotonic per collector; subscribers drop snapshots not newer than the last seen.</param>
/// <param name="PublishedAtUnixMs">Publication time.</param>
/// <param name="Endpoints">The endpoints; unhealthy ones are left out.</param>
public sealed record PoolSnapshot(
    string Pool,
    string CollectorId,
    long Sequence,
    long PublishedAtUnixMs,
    IReadOnlyList<EndpointMetrics> Endpoints);
