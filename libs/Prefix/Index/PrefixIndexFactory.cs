using InferenceMesh.Contracts;
using Dapr.Client;
using InferenceMesh.Prefix.Index.Dapr;
using InferenceMesh.Prefix.Index.Memory;
using InferenceMesh.Prefix.Index.Redis;
using InferenceMesh.Redis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceMesh.Prefix.Index;

/// <summary>Builds the index backends and the service without dependency injection (embedded hosts, tests, benchmarks).</summary>
public static class PrefixIndexFactory
{
    /// <summary>The in-process index.</summary>
    public static IPrefixIndex CreateMemory(PrefixIndexOptions options, PrefixIndexMetrics metrics)
        => new MemoryPrefixIndex(options ?? throw new ArgumentNullException(nameof(options)), metrics ?? throw new ArgumentNullException(nameof(metrics)));

    /// <summary>The index in Redis over <paramref name="redis"/> (which the caller owns).</summary>
    public static IPrefixIndex CreateRedis(RedisConnection redis, PrefixIndexOptions options, PrefixIndexMetrics metrics)
        => new RedisPrefixIndex(redis ?? throw new ArgumentNullException(nameof(redis)), options ?? throw new ArgumentNullException(nameof(options)), metrics ?? throw new ArgumentNullException(nameof(metrics)));

    /// <summary>The index in a Dapr state store through the sidecar's state API.</summary>
    public static IPrefixIndex CreateDapr(DaprClient dapr, PrefixIndexOptions options, PrefixIndexMetrics metrics)
        => new DaprPrefixIndex(dapr ?? throw new ArgumentNullException(nameof(dapr)), options ?? throw new ArgumentNullException(nameof(options)), metrics ?? throw new ArgumentNullException(nameof(metrics)));

    /// <summary>The <see cref="IPrefixIndexService"/> over an index: validation, metrics, store failures answered as no match.</summary>
    public static IPrefixIndexService CreateService(IPrefixIndex index, PrefixIndexOptions options, PrefixIndexMetrics metrics, ILoggerFactory? loggerFactory = null)
        => new PrefixIndexService(index, options, metrics, (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PrefixIndexService>());

    /// <summary>Redis options from the index options (connection string plus the index's per-command timeout).</summary>
    public static RedisOptions RedisOptionsFor(PrefixIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return RedisOptions.Parse(options.Redis ?? throw new InvalidOperationException("PrefixIndex:Redis is not set.")) with
        {
            CommandTimeout = TimeSpan.FromMilliseconds(options.RedisTimeoutMs),
            ClientName = AppIds.PrefixIndex,
        };
    }
}
