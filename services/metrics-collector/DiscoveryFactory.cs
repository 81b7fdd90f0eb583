using InferenceMesh.Kubernetes;
using Microsoft.Extensions.Options;

namespace InferenceMesh.MetricsCollector;

/// <summary>Builds the discovery the <c>Collector:Discovery*</c> keys ask for (pods included: the collector scrapes them).</summary>
internal static class DiscoveryFactory
{
    public static IPoolDiscovery Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<CollectorOptions>>().Value;
        return PoolDiscoveryFactory.Create(options.ToDiscoveryOptions(), services.GetRequiredService<IHostEnvironment>().ContentRootPath,
            services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILoggerFactory>(), watchPods: true);
    }
}
