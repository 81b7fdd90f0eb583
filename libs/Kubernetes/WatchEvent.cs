using System.Text.Json;

namespace InferenceMesh.Kubernetes;

/// <summary>One line of a watch stream.</summary>
/// <param name="Type">Event type.</param>
/// <param name="Resource">The object (a Status for ERROR events).</param>
public readonly record struct WatchEvent(WatchEventType Type, JsonElement Resource);
