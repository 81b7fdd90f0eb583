namespace InferenceMesh.Dapr;

/// <summary>CloudEvent attributes read from an envelope (or defaulted for a raw payload).</summary>
internal readonly record struct CloudEventInfo(string Id, string Topic, string PubSubName, string? Source, string? Type, string? TraceParent);
