using System.Diagnostics.Metrics;
using InferenceMesh.Contracts;

namespace InferenceMesh.MetricsCollector;

/// <summary>The collector's own instruments (exported by the service defaults' <c>/metrics</c>).</summary>
internal sealed class CollectorMetrics
{
    public const string MeterName = "InferenceMesh.MetricsCollector";

    private readonly Histogram<double> _scrapeDuration;
    private readonly Counter<long> _scrapeErrors;
    private readonly Counter<long> _published;
    private readonly Counter<long> _publishErrors;

    public CollectorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _scrapeDuration = meter.CreateHistogram<double>("inferencemesh_collector_scrape_duration", "s",
            "Duration of one /metrics scrape of a model server, successful or not.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
        _scrapeErrors = meter.CreateCounter<long>("inferencemesh_collector_scrape_errors", "{error}",
            "Failed scrapes by endpoint and reason (timeout, connect, status, parse, too_large, engine).");
        _published = meter.CreateCounter<long>("inferencemesh_collector_snapshots_published", "{snapshot}", "Pool snapshots published.");
        _publishErrors = meter.CreateCounter<long>("inferencemesh_collector_publish_errors", "{error}", "Snapshot publications or saves that failed.");
        meter.CreateObservableGauge("inferencemesh_collector_endpoints", ObserveStates, "{endpoint}", "Endpoints by state.");
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
