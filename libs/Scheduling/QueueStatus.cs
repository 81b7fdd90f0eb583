namespace InferenceMesh.Scheduling;

/// <summary>This replica's queues, in-flight count and outcome counters (<c>GET /queue</c>).</summary>
public sealed record QueueStatus(string Replica, int InFlight, IReadOnlyList<PoolQueueStatus> Pools, IReadOnlyList<OutcomeCount> Outcomes);
