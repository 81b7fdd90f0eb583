using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Kubernetes;

/// <summary>Checks <see cref="DiscoveryOptions"/> at start; each failure names its key under the bound section.</summary>
internal sealed class DiscoveryOptionsValidator(string section, IHostEnvironment environment) : IValidateOptions<DiscoveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DiscoveryOptions options)
    {
        var failures = PoolDiscoveryFactory.Validate(options, environment.ContentRootPath,
            $"{section}:{nameof(DiscoveryOptions.Mode)}", $"{section}:{nameof(DiscoveryOptions.PoolFile)}",
            $"{section}:{nameof(DiscoveryOptions.PoolFilePollInterval)}");
        if (options.ReadyTimeout < TimeSpan.Zero || options.ReadyTimeout > TimeSpan.FromHours(1))
            failures = [.. failures, $"{section}:{nameof(DiscoveryOptions.ReadyTimeout)}: must be between 00:00:00 and 01:00:00"];
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
