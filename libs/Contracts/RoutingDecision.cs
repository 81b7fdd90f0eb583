namespace InferenceMesh.Contracts;

/// <summary>A pick made by a scheduler replica, published to <see cref="DaprNames.RoutingDecisionsTopic"/> (and, without the
/// block hashes, to <see cref="DaprNames.DispatchesTopic"/> so the other scheduler replicas count it).
/// <c>PrefillMs</c> is the picker's predicted prefill time on the endpoint (0 when unknown).</summary>
public sealed record RoutingDecision(
    string RequestId,
    string Pool,
    string Model,
    string Endpoint,
    IReadOnlyList<ulong> BlockHashes,
    string SchedulerReplica,
    Criticality Criticality,
    long DecidedAtUnixMs,
    double PrefillMs = 0);
