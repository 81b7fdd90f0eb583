using Dapr.Client;
using InferenceMesh.Contracts;
using InferenceMesh.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace InferenceMesh.Prefix.Index;

/// <summary>DI registration of the prefix index (used by the prefix-index service and by embedded hosts).</summary>
public static class PrefixIndexServiceCollectionExtensions
{
    /// <summary>Health check name of the backing-store check (tagged ready).</summary>
    public const string StoreHealthCheckName = "prefix-index-store";

    /// <summary>Registers <see cref="PrefixIndexOptions"/> (section <c>PrefixIndex</c>, validated at start), the backend chosen
    /// by <c>PrefixIndex:Backend</c>, <see cref="IPrefixIndexService"/> (also resolved as <see cref="IPrefixCapacityFeedbackService"/>,
    /// the same instance), metrics and the ready health check.
    /// The redis backend uses the process's one <see cref="IConnectionMultiplexer"/> (registered here unless the host
    /// registered one; disposed with the host), which connects in the background: the host starts (not ready) while
    /// Redis is down and reconnects by itself.</summary>
    public static IServiceCollection AddPrefixIndexCore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddValidatedOptions<PrefixIndexOptions>(PrefixIndexOptions.Section);
        services.TryAddSingleton(sp => new PrefixIndexMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton<IConnectionMultiplexer>(sp => ConnectionMultiplexer.Connect(
            PrefixIndexFactory.RedisConfigurationFor(Options(sp), sp.GetService<ILoggerFactory>())));
        services.TryAddSingleton(sp =>
        {
            var options = Options(sp);
            var metrics = sp.GetRequiredService<PrefixIndexMetrics>();
            return options.Backend switch
            {
                "redis" => PrefixIndexFactory.CreateRedis(sp.GetRequiredService<IConnectionMultiplexer>(), options, metrics),
                "dapr" => PrefixIndexFactory.CreateDapr(sp.GetRequiredService<DaprClient>(), options, metrics),
                _ => PrefixIndexFactory.CreateMemory(options, metrics),
            };
        });
        services.TryAddSingleton<EngineCapacities>();
        services.TryAddSingleton(sp => PrefixIndexFactory.CreateService(
            sp.GetRequiredService<IPrefixIndex>(), Options(sp), sp.GetRequiredService<PrefixIndexMetrics>(), sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<EngineCapacities>()));
        // The same singleton takes the capacity feedback (one feedback gate per process).
        services.TryAddSingleton(sp => sp.GetRequiredService<IPrefixIndexService>() as IPrefixCapacityFeedbackService
            ?? throw new InvalidOperationException($"The registered {nameof(IPrefixIndexService)} does not take capacity feedback; register {nameof(IPrefixCapacityFeedbackService)} too."));
        services.AddHealthChecks().AddCheck<PrefixIndexHealthCheck>(StoreHealthCheckName, tags: [ServiceDefaultsExtensions.ReadyTag]);
        return services;
    }

    private static PrefixIndexOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<PrefixIndexOptions>>().Value;
}
