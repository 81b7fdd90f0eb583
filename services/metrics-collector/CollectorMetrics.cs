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
            "Failed scrapes by endpoint and reason (timeout, connect, status, parse, too_large, engine).");
        _published = meter.CreateCounter<long>(Names.SnapshotsPublished, "{snapshot}", "Pool snapshots published.");
        _publishErrors = meter.CreateCounter<long>(Names.PublishErrors, "{error}", "Snapshot publications or saves that failed.");
        meter.CreateObservableGauge(Names.Endpoints, ObserveStates, "{endpoint}", "Endpoints by state.");
    }

    /// <summary>Counts of endpoints per health, supplied by the scrape manager.</summary>
    public Func<(int Healthy, int Stale, int Unhealthy)>? StateSource { get; set; }

    public void ScrapeDone(double seconds) => _scrapeDuration.Record(seconds);

    public void ScrapeFailed(string endpoint, string reason) =>
        _scrapeErrors.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("reason", reason));

    public void Published(string pool) => _published.Add(1, new KeyValuePair<string, object?>("pool", pool));

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
