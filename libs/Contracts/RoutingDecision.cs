namespace InferenceMesh.Contracts;

/// <summary>A pick made by a scheduler replica, published to <see cref="DaprNames.RoutingDecisionsTopic"/>.</summary>
public sealed record RoutingDecision(
    string RequestId,
    string Pool,
    string Model,
    string Endpoint,
    IReadOnlyList<ulong> BlockHashes,
    string SchedulerReplica,
    Criticality Criticality,
    long DecidedAtUnixMs);
