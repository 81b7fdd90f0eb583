using InferenceMesh.Contracts;
using Dapr.Client;
using InferenceMesh.Prefix.Index.Dapr;
using InferenceMesh.Prefix.Index.Memory;
using InferenceMesh.Prefix.Index.Redis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace InferenceMesh.Prefix.Index;

/// <summary>Builds the index backends and the service without dependency injection (embedded hosts, tests, benchmarks).</summary>
public static class PrefixIndexFactory
{
    /// <summary>The in-process index.</summary>
    public static IPrefixIndex CreateMemory(PrefixIndexOptions options, PrefixIndexMetrics metrics)
        => new MemoryPrefixIndex(options ?? throw new ArgumentNullException(nameof(options)), metrics ?? throw new ArgumentNullException(nameof(metrics)));

    /// <summary>The index in Redis or Garnet over <paramref name="redis"/> (the process's one multiplexer, which the caller owns).</summary>
    public static IPrefixIndex CreateRedis(IConnectionMultiplexer redis, PrefixIndexOptions options, PrefixIndexMetrics metrics)
        => new RedisPrefixIndex(redis ?? throw new ArgumentNullException(nameof(redis)), options ?? throw new ArgumentNullException(nameof(options)), metrics ?? throw new ArgumentNullException(nameof(metrics)));

    /// <summary>The index in a Dapr state store through the sidecar's state API.</summary>
    public static IPrefixIndex CreateDapr(DaprClient dapr, PrefixIndexOptions options, PrefixIndexMetrics metrics)
        => new DaprPrefixIndex(dapr ?? throw new ArgumentNullException(nameof(dapr)), options ?? throw new ArgumentNullException(nameof(options)), metrics ?? throw new ArgumentNullException(nameof(metrics)));

    /// <summary>The <see cref="IPrefixIndexService"/> over an index: validation, metrics, store failures answered as no match.
    /// The instance also implements <see cref="IPrefixCapacityFeedbackService"/>; <paramref name="engineCapacities"/> tells it
    /// which capacities are engine-reported (null = none).</summary>
    public static IPrefixIndexService CreateService(IPrefixIndex index, PrefixIndexOptions options, PrefixIndexMetrics metrics, ILoggerFactory? loggerFactory = null,
        EngineCapacities? engineCapacities = null)
        => new PrefixIndexService(index, options, metrics, (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PrefixIndexService>(), engineCapacities);

    /// <summary>StackExchange.Redis configuration from the index options: <c>PrefixIndex:Redis</c> (also redis:// URIs and the
    /// earlier client's keys), <c>RedisTimeoutMs</c> as the command timeout, reconnect with backoff, never abort on connect.</summary>
    /// <exception cref="FormatException">The connection string is malformed.</exception>
    public static ConfigurationOptions RedisConfigurationFor(PrefixIndexOptions options, ILoggerFactory? loggerFactory = null)
        => RedisConfiguration.For(options, loggerFactory);
}
