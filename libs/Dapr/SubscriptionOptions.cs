namespace InferenceMesh.Dapr;

/// <summary>Optional parts of a declared subscription, as <c>GET /dapr/subscribe</c> reports them.</summary>
/// <param name="Metadata">Subscription metadata (e.g. <c>rawPayload</c>, consumer settings).</param>
/// <param name="DeadLetterTopic">Where the sidecar moves messages it gives up on.</param>
public sealed record SubscriptionOptions(IReadOnlyDictionary<string, string>? Metadata = null, string? DeadLetterTopic = null);
