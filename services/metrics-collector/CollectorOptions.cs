using System.ComponentModel.DataAnnotations;
using InferenceMesh.Kubernetes;

namespace InferenceMesh.MetricsCollector;

/// <summary>Settings of the metrics collector, bound from the <c>Collector</c> section and validated at start.</summary>
public sealed record CollectorOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Collector";

    /// <summary>How often every endpoint is scraped and a snapshot per pool is published (GIE refreshes every 50 ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:01:00")]
    public TimeSpan ScrapeInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Upper bound of one scrape (connect + response); a scrape that takes longer counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:01:00")]
    public TimeSpan ScrapeTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Age of the last good scrape after which an endpoint is Stale (GIE metricsStalenessThreshold: 200 ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:10:00")]
    public TimeSpan StalenessThreshold { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Age of the last good scrape after which an endpoint is Unhealthy and left out of snapshots.</summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "01:00:00")]
    public TimeSpan UnhealthyThreshold { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive failed scrapes after which an endpoint is Unhealthy (the first failure makes it Stale).</summary>
    [Range(1, 1000)]
    public int UnhealthyAfterFailures { get; init; } = 2;

    /// <summary>Largest exposition accepted, in bytes.</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxResponseBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Discovery source (None is not allowed: the collector needs endpoints).</summary>
    public DiscoveryMode Discovery { get; init; } = DiscoveryMode.Auto;

    /// <summary>The local pool file (file mode); relative paths are resolved against the content root.</summary>
    public string PoolFile { get; init; } = "../../deploy/local/pool.yaml";

    /// <summary>How often the pool file is re-checked when the file watcher stays silent.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PoolFilePollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Only this InferencePool; empty = every pool found.</summary>
    public string? Pool { get; init; }

    /// <summary>Kubernetes namespace override; empty = the pod's own namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>The shared discovery settings these keys stand for.</summary>
    internal DiscoveryOptions ToDiscoveryOptions() => new()
    {
        Mode = Discovery,
        PoolFile = PoolFile,
        PoolFilePollInterval = PoolFilePollInterval,
        Pool = Pool,
        Namespace = Namespace,
    };

    /// <summary>Whether the latest snapshot per pool is saved to the state store (<c>snapshot/{pool}</c>) for cold starts.</summary>
    public bool SaveSnapshots { get; init; } = true;

    /// <summary>Minimum time between two state-store saves of one pool's snapshot.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan SnapshotSaveInterval { get; init; } = TimeSpan.FromSeconds(1);
}
