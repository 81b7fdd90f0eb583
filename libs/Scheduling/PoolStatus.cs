namespace InferenceMesh.Scheduling;

/// <summary>One pool's latest snapshot plus this replica's own load (<c>GET /pool</c>).</summary>
public sealed record PoolStatus(
    string Pool,
    string Profile,
    bool UseQueueing,
    bool Saturated,
    string? Collector,
    long Sequence,
    long PublishedAtUnixMs,
    IReadOnlyList<EndpointStatus> Endpoints);
