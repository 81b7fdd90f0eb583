namespace InferenceMesh.Dapr;

/// <summary>Per-write options of a state save or delete.</summary>
/// <param name="ETag">Only write when the stored version still has this ETag (409 otherwise).</param>
/// <param name="TtlInSeconds">Expire the key after this many seconds (stores with the TTL feature).</param>
/// <param name="Concurrency">First- or last-write wins.</param>
/// <param name="Consistency">Eventual or strong.</param>
public sealed record StateWriteOptions(
    string? ETag = null,
    int? TtlInSeconds = null,
    StateConcurrency Concurrency = StateConcurrency.Default,
    StateConsistency Consistency = StateConsistency.Default);
