using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Kubernetes;

/// <summary>Builds and checks the discovery a <see cref="DiscoveryOptions"/> asks for; shared by every service that discovers pools.</summary>
public static class PoolDiscoveryFactory
{
    /// <summary>Whether <paramref name="mode"/> means the API server here (Auto resolves to it inside a pod).</summary>
    public static bool UsesKubernetes(DiscoveryMode mode) =>
        mode == DiscoveryMode.Kubernetes || (mode == DiscoveryMode.Auto && KubernetesConfig.IsInCluster());

    /// <summary>Whether <paramref name="mode"/> means the pool file here (Auto resolves to it outside a pod).</summary>
    public static bool UsesFile(DiscoveryMode mode) =>
        mode == DiscoveryMode.File || (mode == DiscoveryMode.Auto && !KubernetesConfig.IsInCluster());

    /// <summary>The absolute pool file path; relative paths are taken against <paramref name="contentRoot"/>.</summary>
    public static string ResolvePoolFile(string poolFile, string contentRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(poolFile);
        ArgumentNullException.ThrowIfNull(contentRoot);
        return Path.GetFullPath(Path.IsPathRooted(poolFile) ? poolFile : Path.Combine(contentRoot, poolFile));
    }

    /// <summary>Problems with <paramref name="options"/>, each naming its key (<paramref name="modeKey"/>, <paramref name="poolFileKey"/>,
    /// <paramref name="pollKey"/>); empty when the options are usable.</summary>
    public static IReadOnlyList<string> Validate(DiscoveryOptions options, string contentRoot, string modeKey, string poolFileKey, string pollKey)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"{modeKey} must be Auto, Kubernetes, File or None.");
            return failures;
        }
        var poll = new List<ValidationResult>();
        if (!Validator.TryValidateProperty(options.PoolFilePollInterval, new ValidationContext(options) { MemberName = nameof(DiscoveryOptions.PoolFilePollInterval) }, poll))
        {
            foreach (var r in poll)
                failures.Add($"{pollKey}: {r.ErrorMessage}");
        }
        if (options.Mode == DiscoveryMode.None)
            return failures;
        if (UsesFile(options.Mode))
        {
            if (string.IsNullOrWhiteSpace(options.PoolFile))
                failures.Add($"{poolFileKey} is required when discovery uses the pool file.");
            else if (!File.Exists(ResolvePoolFile(options.PoolFile, contentRoot)))
                failures.Add($"{poolFileKey}: file not found: {ResolvePoolFile(options.PoolFile, contentRoot)}");
        }
        if (options.Mode == DiscoveryMode.Kubernetes && !KubernetesConfig.IsInCluster() && !KubernetesConfig.HasKubeConfig())
            failures.Add($"{modeKey} is Kubernetes but this process is not in a pod (no KUBERNETES_SERVICE_HOST and service-account token) and has no kubeconfig (KUBECONFIG or ~/.kube/config); use File locally.");
        return failures;
    }

    /// <summary>The discovery for <paramref name="options"/>. <paramref name="watchPods"/> = false watches only InferencePools and
    /// InferenceModels (services that need settings, not endpoints; their RBAC then needs no pod access).</summary>
    public static IPoolDiscovery Create(DiscoveryOptions options, string contentRoot, TimeProvider time, ILoggerFactory loggers, bool watchPods)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggers);
        if (options.Mode == DiscoveryMode.None)
            return new NoPoolDiscovery();
        if (UsesKubernetes(options.Mode))
        {
            var config = KubernetesConfig.Load();
            return new KubernetesPoolDiscovery(new k8s.Kubernetes(config), KubernetesConfig.Namespace(config, options.Namespace), options.Pool,
                loggers, InformerOptions.Default, time, watchPods);
        }
        if (string.IsNullOrWhiteSpace(options.PoolFile))
            throw new InvalidOperationException("Discovery uses the pool file but no pool file is configured.");
        return new PoolFileDiscovery(ResolvePoolFile(options.PoolFile, contentRoot), options.Pool, loggers.CreateLogger<PoolFileDiscovery>(),
            options.PoolFilePollInterval, time);
    }
}
