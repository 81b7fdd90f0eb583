using k8s;
using k8s.Authentication;

namespace InferenceMesh.Kubernetes;

/// <summary>Where the API server is and how to authenticate, from KubernetesClient: the pod's service account inside a
/// cluster, a kubeconfig outside one, or an explicit API URL (tests, <c>kubectl proxy</c>).</summary>
public static class KubernetesConfig
{
    /// <summary>Whether this process runs in a pod (service host variables and service-account token present).</summary>
    public static bool IsInCluster() => KubernetesClientConfiguration.IsInCluster();

    /// <summary>Whether a kubeconfig exists (<c>KUBECONFIG</c> or <c>~/.kube/config</c>).</summary>
    public static bool HasKubeConfig()
    {
        var path = Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } fromEnv
            ? fromEnv.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)[0]
            : KubernetesClientConfiguration.KubeConfigDefaultLocation;
        return File.Exists(path);
    }

    /// <summary>In a pod the service account (token re-read as it rotates, cluster CA, pod namespace); elsewhere the current
    /// kubeconfig context.</summary>
    public static KubernetesClientConfiguration Load() =>
        IsInCluster() ? KubernetesClientConfiguration.InClusterConfig() : KubernetesClientConfiguration.BuildConfigFromConfigFile();

    /// <summary>An explicit API server, with a bearer token read from <paramref name="tokenFile"/> (re-read as it rotates) when given.</summary>
    public static KubernetesClientConfiguration ForApiServer(Uri apiServer, string? tokenFile = null)
    {
        ArgumentNullException.ThrowIfNull(apiServer);
        return new KubernetesClientConfiguration
        {
            Host = apiServer.ToString(),
            TokenProvider = tokenFile is null ? null : new TokenFileAuth(tokenFile),
        };
    }

    /// <summary>The namespace to watch: the override when set, else the configuration's (pod or kubeconfig context), else <c>default</c>.</summary>
    public static string Namespace(KubernetesClientConfiguration config, string? namespaceOverride)
    {
        ArgumentNullException.ThrowIfNull(config);
        return !string.IsNullOrWhiteSpace(namespaceOverride) ? namespaceOverride
            : !string.IsNullOrWhiteSpace(config.Namespace) ? config.Namespace
            : "default";
    }
}
