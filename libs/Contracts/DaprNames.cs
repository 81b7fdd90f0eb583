namespace InferenceMesh.Contracts;

/// <summary>Dapr component names and topics; must match components/*.yaml.</summary>
public static class DaprNames
{
    /// <summary>The shared state store (state.redis by default).</summary>
    public const string StateStore = "statestore";

    /// <summary>Pub/sub whose consumer group is the app id: replicas of one app compete for each message.</summary>
    public const string PubSub = "pubsub";

    /// <summary>Pub/sub whose consumer group is per replica: every replica receives every message.</summary>
    public const string FanOutPubSub = "pubsub-fanout";

    /// <summary>Endpoint metric snapshots, published by metrics-collector on <see cref="FanOutPubSub"/>.</summary>
    public const string EndpointMetricsTopic = "endpoint-metrics";

    /// <summary>Routing decisions, published by scheduler on <see cref="PubSub"/>; prefix-index records from them.</summary>
    public const string RoutingDecisionsTopic = "routing-decisions";

    /// <summary>Request completions, published by ext-proc on <see cref="FanOutPubSub"/>; the dispatching scheduler replica frees in-flight accounting.</summary>
    public const string CompletionsTopic = "request-completions";

    /// <summary>Dispatches of every scheduler replica (routing decisions without block hashes), published by scheduler on
    /// <see cref="FanOutPubSub"/>; the other replicas count them as in-flight load until a snapshot shows it.</summary>
    public const string DispatchesTopic = "scheduler-dispatches";

    /// <summary>State key prefix of the latest pool snapshot (one key per pool): <c>snapshot/{pool}</c>.</summary>
    public const string SnapshotKeyPrefix = "snapshot/";
}
