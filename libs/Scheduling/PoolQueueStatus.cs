namespace InferenceMesh.Scheduling;

/// <summary>One pool's queue as served by <c>GET /queue</c>.</summary>
public sealed record PoolQueueStatus(string Pool, string Profile, bool UseQueueing, bool Saturated, IReadOnlyList<BandStatus> Bands);
