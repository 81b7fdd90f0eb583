using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Kubernetes;

/// <summary>Registers pool discovery configured from one section (default <c>Discovery</c>).</summary>
public static class PoolDiscoveryServiceCollectionExtensions
{
    /// <summary>Binds and validates <see cref="DiscoveryOptions"/> from <paramref name="section"/>, registers the
    /// <see cref="IPoolDiscovery"/> it asks for (unless one is registered already, e.g. by a test) and runs it as a hosted
    /// service. With <see cref="DiscoveryMode.None"/> (the default) the view stays empty.</summary>
    public static IServiceCollection AddPoolDiscovery(this IServiceCollection services, bool watchPods, string section = DiscoveryOptions.Section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(section);
        services.AddOptions<DiscoveryOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DiscoveryOptions>>(sp => new DiscoveryOptionsValidator(section, sp.GetRequiredService<IHostEnvironment>()));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPoolDiscovery>(sp => PoolDiscoveryFactory.Create(
            sp.GetRequiredService<IOptions<DiscoveryOptions>>().Value,
            sp.GetRequiredService<IHostEnvironment>().ContentRootPath,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(),
            watchPods));
        services.AddHostedService<PoolDiscoveryRunner>();
        return services;
    }
}
