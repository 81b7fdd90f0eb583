namespace InferenceMesh.Contracts;

/// <summary>A pick made by a scheduler replica, published to <see cref="DaprNames.RoutingDecisionsTopic"/> (and, without the
/// block hashes, to <see cref="DaprNames.DispatchesTopic"/> so the other scheduler replicas count it).
/// <c>PrefillMs</c> is the picker's predicted prefill time on the endpoint (0 when unknown). In a pool whose profile
/// re-matches at every pick (<c>PREFILL_WORK</c>), <c>PlacementHashes</c> are the prompt's block hashes the scheduler's
/// recent placements record (every 16th and the last, at most 17 of 256) and <c>UncachedBlocks</c> the prompt blocks the
/// pick did not credit as cached: the other replicas record the placement as their own, so a request one replica
/// releases from its queue follows what another just placed (docs/scheduler.md, "Several replicas"). Null and 0 otherwise.</summary>
public sealed record RoutingDecision(
    string RequestId,
    string Pool,
    string Model,
    string Endpoint,
    IReadOnlyList<ulong> BlockHashes,
    string SchedulerReplica,
    Criticality Criticality,
    long DecidedAtUnixMs,
    double PrefillMs = 0,
    IReadOnlyList<ulong>? PlacementHashes = null,
    int UncachedBlocks = 0);
