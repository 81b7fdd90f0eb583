using InferenceMesh.Kubernetes;
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
        if (options.Discovery == DiscoveryMode.None || !Enum.IsDefined(options.Discovery))
            failures.Add($"{s}:Discovery must be Auto, Kubernetes or File: the collector needs endpoints to scrape.");
        else
            failures.AddRange(PoolDiscoveryFactory.Validate(options.ToDiscoveryOptions(), environment.ContentRootPath,
                $"{s}:Discovery", $"{s}:PoolFile", $"{s}:PoolFilePollInterval"));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
