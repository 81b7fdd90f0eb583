namespace InferenceMesh.Dapr;

/// <summary>A delivered message: its data plus the CloudEvent attributes that came with it.</summary>
/// <param name="Data">The payload.</param>
/// <param name="Id">CloudEvent id (unique per publish; use it to de-duplicate redeliveries).</param>
/// <param name="Topic">Topic it was published to.</param>
/// <param name="PubSubName">Pub/sub component it came through.</param>
/// <param name="Source">Publishing app id, when known.</param>
/// <param name="Type">CloudEvent type (<c>com.dapr.event.sent</c> for sidecar-wrapped events).</param>
/// <param name="TraceParent">W3C trace context of the publisher, when present.</param>
public sealed record TopicEvent<T>(T Data, string Id, string Topic, string PubSubName, string? Source, string? Type, string? TraceParent);
