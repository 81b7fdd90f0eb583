using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using InferenceMesh.Contracts;

namespace InferenceMesh.MetricsCollector;

/// <summary>The collector's own instruments (meter <c>InferenceMesh.MetricsCollector</c>). Names follow OpenTelemetry
/// conventions; the Prometheus names in the comments are what <c>/metrics</c> shows (docs/telemetry.md).</summary>
internal sealed class CollectorMetrics
{
    public const string MeterName = "InferenceMesh.MetricsCollector";

    /// <summary>Instrument names, in one place.</summary>
    public static class Names
    {
        /// <summary><c>inferencemesh_collector_scrape_duration_seconds</c>.</summary>
        public const string ScrapeDuration = "inferencemesh.collector.scrape.duration";

        /// <summary><c>inferencemesh_collector_scrape_errors_total{endpoint,reason}</c>.</summary>
        public const string ScrapeErrors = "inferencemesh.collector.scrape.errors";

        /// <summary><c>inferencemesh_collector_snapshots_published_total{pool}</c>.</summary>
        public const string SnapshotsPublished = "inferencemesh.collector.snapshots.published";

        /// <summary><c>inferencemesh_collector_publish_errors_total{pool,operation}</c>.</summary>
        public const string PublishErrors = "inferencemesh.collector.publish.errors";

        /// <summary><c>inferencemesh_collector_endpoints{state}</c>.</summary>
        public const string Endpoints = "inferencemesh.collector.endpoints";
    }

    /// <summary>The <c>reason</c> values of <see cref="Names.ScrapeErrors"/>.</summary>
    public static class ScrapeFailure
    {
        public const string Error = "error";
        public const string Connect = "connect";
        public const string Http = "http";
        public const string Status = "status";
        public const string TooLarge = "too_large";
        public const string Timeout = "timeout";
        public const string Parse = "parse";
        public const string Engine = "engine";

        internal static readonly string[] All = [Error, Connect, Http, Status, TooLarge, Timeout, Parse, Engine];
    }

    private static readonly string[] PublishOperations = ["publish", "save"];
    private readonly ConcurrentDictionary<string, bool> _poolsSeen = new(StringComparer.Ordinal);

    private readonly Histogram<double> _scrapeDuration;
    private readonly Counter<long> _scrapeErrors;
    private readonly Counter<long> _published;
    private readonly Counter<long> _publishErrors;

    public CollectorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _scrapeDuration = meter.CreateHistogram<double>(Names.ScrapeDuration, "s",
            "Duration of one /metrics scrape of a model server, successful or not.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
        _scrapeErrors = meter.CreateCounter<long>(Names.ScrapeErrors, "{error}",
            "Failed scrapes by endpoint and reason (error, connect, http, status, too_large, timeout, parse, engine).");
        _published = meter.CreateCounter<long>(Names.SnapshotsPublished, "{snapshot}", "Pool snapshots published.");
        _publishErrors = meter.CreateCounter<long>(Names.PublishErrors, "{error}", "Snapshot publications or saves that failed.");
        meter.CreateObservableGauge(Names.Endpoints, ObserveStates, "{endpoint}", "Endpoints by state.");
    }

    /// <summary>Counts of endpoints per health, supplied by the scrape manager.</summary>
    public Func<(int Healthy, int Stale, int Unhealthy)>? StateSource { get; set; }

    public void ScrapeDone(double seconds) => _scrapeDuration.Record(seconds);

    public void ScrapeFailed(string endpoint, string reason) =>
        _scrapeErrors.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Starts the endpoint's failure series at 0 (one per reason), so they exist before the first failure and
    /// <c>rate()</c> counts that failure too.</summary>
    public void EndpointAdded(string endpoint)
    {
        foreach (var reason in ScrapeFailure.All)
            _scrapeErrors.Add(0, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("reason", reason));
    }

    public void Published(string pool)
    {
        _published.Add(1, new KeyValuePair<string, object?>("pool", pool));
        // The pool's error series start at 0 with its first snapshot (TryAdd of a seen key does not allocate).
        if (_poolsSeen.TryAdd(pool, true))
        {
            foreach (var operation in PublishOperations)
                _publishErrors.Add(0, new KeyValuePair<string, object?>("pool", pool), new KeyValuePair<string, object?>("operation", operation));
        }
    }

    public void PublishFailed(string pool, string operation) =>
        _publishErrors.Add(1, new KeyValuePair<string, object?>("pool", pool), new KeyValuePair<string, object?>("operation", operation));

    private IEnumerable<Measurement<int>> ObserveStates()
    {
        var (healthy, stale, unhealthy) = StateSource?.Invoke() ?? (0, 0, 0);
        return
        [
            new Measurement<int>(healthy, new KeyValuePair<string, object?>("state", nameof(EndpointHealth.Healthy))),
            new Measurement<int>(stale, new KeyValuePair<string, object?>("state", nameof(EndpointHealth.Stale))),
            new Measurement<int>(unhealthy, new KeyValuePair<string, object?>("state", nameof(EndpointHealth.Unhealthy))),
        ];
    }
}
