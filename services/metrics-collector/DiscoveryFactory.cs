using InferenceMesh.Kubernetes;
using Microsoft.Extensions.Options;

namespace InferenceMesh.MetricsCollector;

/// <summary>Builds the discovery the options ask for.</summary>
internal static class DiscoveryFactory
{
    public static IPoolDiscovery Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<CollectorOptions>>().Value;
        var time = services.GetRequiredService<TimeProvider>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        var useKubernetes = options.Discovery == DiscoveryMode.Kubernetes
            || (options.Discovery == DiscoveryMode.Auto && KubernetesConnection.IsInCluster());
        if (useKubernetes)
        {
            var connection = KubernetesConnection.FromInCluster(options.Namespace);
            var client = new KubernetesApiClient(connection.CreateHttpClient(), connection, time);
            return new KubernetesPoolDiscovery(client, options.Pool, loggers, InformerOptions.Default, time);
        }
        var path = CollectorOptionsValidator.ResolvePoolFile(options, services.GetRequiredService<IHostEnvironment>());
        return new PoolFileDiscovery(path, options.Pool, loggers.CreateLogger<PoolFileDiscovery>(), options.PoolFilePollInterval, time);
    }
}
