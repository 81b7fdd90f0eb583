using Microsoft.Extensions.Options;

namespace InferenceMesh.MetricsCollector;

/// <summary>Rules across fields that data annotations cannot express; each failure names the key.</summary>
internal sealed class CollectorOptionsValidator(IHostEnvironment environment) : IValidateOptions<CollectorOptions>
{
    public ValidateOptionsResult Validate(string? name, CollectorOptions options)
    {
        var failures = new List<string>();
        const string s = CollectorOptions.Section;
        if (options.StalenessThreshold < options.ScrapeInterval)
            failures.Add($"{s}:StalenessThreshold ({options.StalenessThreshold}) must be at least {s}:ScrapeInterval ({options.ScrapeInterval}), or every endpoint would always be stale.");
        if (options.UnhealthyThreshold < options.StalenessThreshold)
            failures.Add($"{s}:UnhealthyThreshold ({options.UnhealthyThreshold}) must be at least {s}:StalenessThreshold ({options.StalenessThreshold}).");
        if (!Enum.IsDefined(options.Discovery))
            failures.Add($"{s}:Discovery must be Auto, Kubernetes or File.");
        var fileMode = options.Discovery == DiscoveryMode.File
            || (options.Discovery == DiscoveryMode.Auto && !Kubernetes.KubernetesConnection.IsInCluster());
        if (fileMode)
        {
            if (string.IsNullOrWhiteSpace(options.PoolFile))
                failures.Add($"{s}:PoolFile is required when discovery uses the pool file.");
            else if (!File.Exists(ResolvePoolFile(options, environment)))
                failures.Add($"{s}:PoolFile: file not found: {ResolvePoolFile(options, environment)}");
        }
        if (options.Discovery == DiscoveryMode.Kubernetes && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")))
            failures.Add($"{s}:Discovery is Kubernetes but KUBERNETES_SERVICE_HOST is not set (not in a pod); use File locally.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static string ResolvePoolFile(CollectorOptions options, IHostEnvironment environment) =>
        Path.GetFullPath(Path.IsPathRooted(options.PoolFile) ? options.PoolFile : Path.Combine(environment.ContentRootPath, options.PoolFile));
}
