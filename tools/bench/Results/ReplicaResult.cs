using System.Text.Json.Serialization;

namespace InferenceMesh.Bench.Results;

/// <summary>The picker replicas of a virtual replay and what they did to the servers' queues.</summary>
public sealed record ReplicaResult(
    [property: JsonPropertyName("replicas")] int Replicas,
    [property: JsonPropertyName("spread")] string Spread,
    [property: JsonPropertyName("prefix_state")] string PrefixState,
    [property: JsonPropertyName("snapshot_delay_ms")] double SnapshotDelayMs,
    [property: JsonPropertyName("index_delay_ms")] double IndexDelayMs,
    [property: JsonPropertyName("share_inflight")] bool ShareInFlight,
    [property: JsonPropertyName("event_delay_ms")] double EventDelayMs,
    [property: JsonPropertyName("queue_threshold")] double QueueThreshold,
    [property: JsonPropertyName("queue_overshoot_mean")] double QueueOvershootMean,
    [property: JsonPropertyName("queue_over_share")] double QueueOverShare,
    [property: JsonPropertyName("waiting_max")] int WaitingMax,
    [property: JsonPropertyName("requests_per_replica")] IReadOnlyList<int> RequestsPerReplica,
    [property: JsonPropertyName("join")] JoinResult? Join);

/// <summary>A replica started mid-replay: its first decisions against the other replicas' decisions over the same span.</summary>
/// <param name="JoinAtMs">When it started, simulated ms.</param>
/// <param name="LateDecisions">Its first decisions counted (up to the requested number).</param>
/// <param name="LateHitRate">Σ cached prompt tokens / Σ prompt tokens of those requests (the servers' own cache).</param>
/// <param name="OtherDecisions">Decisions of the other replicas from the join until its last counted decision.</param>
/// <param name="OtherHitRate">The same rate over those.</param>
public sealed record JoinResult(
    [property: JsonPropertyName("join_at_ms")] double JoinAtMs,
    [property: JsonPropertyName("late_decisions")] int LateDecisions,
    [property: JsonPropertyName("late_hit_rate")] double LateHitRate,
    [property: JsonPropertyName("other_decisions")] int OtherDecisions,
    [property: JsonPropertyName("other_hit_rate")] double OtherHitRate);
