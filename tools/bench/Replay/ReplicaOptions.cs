namespace InferenceMesh.Bench.Replay;

/// <summary>How requests are spread over picker replicas (the way Envoy spreads ext_proc streams).</summary>
public enum ReplicaSpread
{
    /// <summary>Replicas in turn.</summary>
    RoundRobin,

    /// <summary>A seeded uniform choice per request.</summary>
    Random,
}

/// <summary>Where the prefix index lives when there are several picker replicas.</summary>
public enum PrefixState
{
    /// <summary>One index for all replicas (prefix-index service + Redis); a record is visible after the index delay.</summary>
    Shared,

    /// <summary>Each replica indexes only what it routed, at once (the reference picker's in-memory index).</summary>
    PerReplica,
}

/// <summary>The picker replicas of a virtual replay: each has its own policy instance (own queue, own in-flight counts, own
/// view of the snapshots).</summary>
/// <param name="Count">Replicas (1 = the single picker of a plain replay).</param>
/// <param name="Spread">How requests are spread over the replicas.</param>
/// <param name="PrefixState">Shared or per-replica prefix index (gie-reference is always per-replica).</param>
/// <param name="SnapshotDelayMs">Pub/sub propagation delay of a metrics snapshot to every replica, simulated ms.</param>
/// <param name="IndexDelayMs">Shared index: delay before a routing decision is visible in the index, simulated ms.</param>
/// <param name="ShareInFlight">Whether scheduler replicas see each other's dispatches and completions (fan-out events).</param>
/// <param name="EventDelayMs">Propagation delay of those dispatch and completion events, simulated ms.</param>
/// <param name="JoinAtMs">When the last replica starts (a replica added mid-replay); null = all replicas from the start.</param>
/// <param name="JoinDecisions">How many of the late replica's first decisions are compared with the others'.</param>
public sealed record ReplicaOptions(
    int Count = 1,
    ReplicaSpread Spread = ReplicaSpread.RoundRobin,
    PrefixState PrefixState = PrefixState.Shared,
    double SnapshotDelayMs = 0,
    double IndexDelayMs = 0,
    bool ShareInFlight = true,
    double EventDelayMs = 0,
    double? JoinAtMs = null,
    int JoinDecisions = 100)
{
    /// <summary>One picker, no delays: a plain replay.</summary>
    public static ReplicaOptions OnePicker { get; } = new();
}
