namespace InferenceMesh.Kubernetes;

/// <summary>The parts of a Pod the collector needs.</summary>
/// <param name="Name">Pod name.</param>
/// <param name="Namespace">Namespace.</param>
/// <param name="Labels">Labels (selector matching, engine type).</param>
/// <param name="PodIp">status.podIP; null before scheduling.</param>
/// <param name="Ready">Condition Ready is True and the pod is not terminating.</param>
public sealed record PodInfo(string Name, string Namespace, IReadOnlyDictionary<string, string> Labels, string? PodIp, bool Ready);
