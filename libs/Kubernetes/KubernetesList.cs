using System.Text.Json;

namespace InferenceMesh.Kubernetes;

/// <summary>The items of a list call and the resourceVersion to watch from.</summary>
public sealed record KubernetesList(IReadOnlyList<JsonElement> Items, string ResourceVersion);
