using InferenceMesh.Contracts;
using InferenceMesh.Prometheus;

namespace InferenceMesh.MetricsCollector;

/// <summary>What the collector knows of one endpoint; written by its scraper, read by the publisher and the API.
/// Health is judged at read time from the age of the last good scrape, so a hung scrape turns the endpoint Stale
/// without waiting for its timeout.</summary>
internal sealed class EndpointState(DiscoveredEndpoint endpoint, CollectorOptions options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private EndpointMetrics? _last;
    private long _lastSuccessTimestamp;
    private int _failures;
    private string? _lastError;
    private string _runningRaw = string.Empty;
    private string _waitingRaw = string.Empty;

    public DiscoveredEndpoint Endpoint { get; } = endpoint;

    /// <summary>Pool and address: the identity the scrape manager keys and orders endpoints by.</summary>
    public string Key { get; } = KeyOf(endpoint);

    public static string KeyOf(DiscoveredEndpoint endpoint) => endpoint.Pool + "|" + endpoint.Address;

    /// <summary>Records a good scrape; returns true when the endpoint was failing before (a recovery).</summary>
    public bool RecordSuccess(in EngineMetricsValues values, long scrapedAtUnixMs)
    {
        lock (_lock)
        {
            // Adapter lists rarely change between scrapes; reuse the previous ones instead of splitting again.
            var running = _last is not null && values.RunningLoras == _runningRaw ? _last.RunningLoras : EngineMetricsReader.SplitAdapters(values.RunningLoras);
            var waiting = _last is not null && values.WaitingLoras == _waitingRaw ? _last.WaitingLoras : EngineMetricsReader.SplitAdapters(values.WaitingLoras);
            _runningRaw = values.RunningLoras;
            _waitingRaw = values.WaitingLoras;
            _last = new EndpointMetrics(Endpoint.Address, values.Waiting, values.Running, values.KvUsage, running, waiting,
                values.MaxLoras, values.BlockSize, values.NumBlocks, scrapedAtUnixMs, EndpointHealth.Healthy);
            _lastSuccessTimestamp = time.GetTimestamp();
            var recovered = _failures > 0;
            _failures = 0;
            _lastError = null;
            return recovered;
        }
    }

    /// <summary>Records a failed scrape; returns the consecutive failure count.</summary>
    public int RecordFailure(string reason)
    {
        lock (_lock)
        {
            _lastError = reason;
            return ++_failures;
        }
    }

    /// <summary>Judges the endpoint now.</summary>
    public EndpointReading Read()
    {
        lock (_lock)
        {
            if (_last is null)
                return new EndpointReading(EndpointHealth.Unhealthy, null, _failures, _lastError ?? "not scraped yet");
            var age = time.GetElapsedTime(_lastSuccessTimestamp);
            EndpointHealth health;
            if (_failures >= options.UnhealthyAfterFailures || age > options.UnhealthyThreshold)
                health = EndpointHealth.Unhealthy;
            else if (_failures > 0 || age > options.StalenessThreshold)
                health = EndpointHealth.Stale;
            else
                health = EndpointHealth.Healthy;
            var metrics = health == EndpointHealth.Healthy ? _last : _last with { Health = health };
            return new EndpointReading(health, metrics, _failures, _lastError);
        }
    }
}
