namespace InferenceMesh.ServiceDefaults;

/// <summary>Which app this process is and which replica of it.</summary>
/// <param name="AppId">The Dapr app-id.</param>
/// <param name="ReplicaId">Unique per process: the pod name on Kubernetes, else app-id plus a random suffix.</param>
public sealed record ServiceIdentity(string AppId, string ReplicaId)
{
    /// <summary>Pod name from <c>POD_NAME</c>/<c>HOSTNAME</c> on Kubernetes, else a random id.</summary>
    public static string NewReplicaId(string appId)
    {
        var pod = Environment.GetEnvironmentVariable("POD_NAME");
        return string.IsNullOrEmpty(pod) ? $"{appId}-{Guid.NewGuid().ToString("N")[..8]}" : pod;
    }
}
