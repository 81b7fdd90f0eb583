using InferenceMesh.Contracts;
using InferenceMesh.Kubernetes;
using Microsoft.Extensions.Options;

namespace InferenceMesh.MetricsCollector;

/// <summary>Keeps one scraper running per discovered endpoint: starts scrapers for new endpoints, stops them for endpoints
/// that left (their state goes with them, so removed endpoints never linger in snapshots).</summary>
internal sealed partial class ScrapeManager : IHostedService, IDisposable
{
    private readonly IPoolDiscovery _discovery;
    private readonly ScrapeClient _client;
    private readonly CollectorOptions _options;
    private readonly TimeProvider _time;
    private readonly CollectorMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Running> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private volatile EndpointState[] _states = [];

    public ScrapeManager(IPoolDiscovery discovery, ScrapeClient client, IOptions<CollectorOptions> options, TimeProvider time,
        CollectorMetrics metrics, ILoggerFactory loggerFactory)
    {
        _discovery = discovery;
        _client = client;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ScrapeManager>();
        _metrics.StateSource = CountStates;
    }

    /// <summary>Every endpoint being scraped, ordered by pool, then address.</summary>
    public IReadOnlyList<EndpointState> States => _states;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _discovery.Changed += Reconcile;
        Reconcile(_discovery.Current);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _discovery.Changed -= Reconcile;
        Task[] tasks;
        lock (_lock)
        {
            _stopping.Cancel();
            tasks = new Task[_running.Count];
            var i = 0;
            foreach (var r in _running.Values)
                tasks[i++] = r.Task;
        }
        await Task.WhenAll(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var r in _running.Values)
                r.Dispose();
            _running.Clear();
            _states = [];
        }
    }

    /// <summary>Applies discovery's current view: the set of scraped endpoints becomes exactly its endpoints. The notified view
    /// is only a trigger; reading <see cref="IPoolDiscovery.Current"/> under the lock means a late call can never apply an older view.</summary>
    public void Reconcile(PoolView notified)
    {
        lock (_lock)
        {
            if (_stopping.IsCancellationRequested)
                return;
            var view = _discovery.Current;
            var wanted = new Dictionary<string, DiscoveredEndpoint>(StringComparer.Ordinal);
            foreach (var e in view.Endpoints)
                wanted[EndpointState.KeyOf(e)] = e;
            List<string>? gone = null;
            foreach (var (key, running) in _running)
            {
                // An endpoint whose pod or engine changed under the same address starts over with a clean state.
                if (!wanted.TryGetValue(key, out var e) || e != running.Scraper.State.Endpoint)
                    (gone ??= []).Add(key);
            }
            if (gone is not null)
            {
                foreach (var key in gone)
                {
                    var running = _running[key];
                    _running.Remove(key);
                    running.Cancel.Cancel();
                    _ = running.Task.ContinueWith(_ => running.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                    LogRemoved(_logger, running.Scraper.State.Endpoint.Address, running.Scraper.State.Endpoint.Pool);
                }
            }
            foreach (var (key, endpoint) in wanted)
            {
                if (_running.ContainsKey(key))
                    continue;
                var state = new EndpointState(endpoint, _options, _time);
                _metrics.EndpointAdded(endpoint.Address);
                var scraper = new EndpointScraper(state, _client.Http, _options, _time, _metrics, _loggerFactory.CreateLogger<EndpointScraper>());
                var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                var task = Task.Run(() => scraper.RunAsync(cts.Token), CancellationToken.None);
                _running[key] = new Running(scraper, cts, task);
                LogAdded(_logger, endpoint.Address, endpoint.Pool, endpoint.Engine);
            }
            var states = new EndpointState[_running.Count];
            var i = 0;
            foreach (var r in _running.Values)
                states[i++] = r.Scraper.State;
            Array.Sort(states, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            _states = states;
        }
    }

    public void Dispose() => _stopping.Dispose();

    private (int, int, int) CountStates()
    {
        int healthy = 0, stale = 0, unhealthy = 0;
        foreach (var s in _states)
        {
            switch (s.Read().Health)
            {
                case EndpointHealth.Healthy: healthy++; break;
                case EndpointHealth.Stale: stale++; break;
                default: unhealthy++; break;
            }
        }
        return (healthy, stale, unhealthy);
    }

    private sealed record Running(EndpointScraper Scraper, CancellationTokenSource Cancel, Task Task) : IDisposable
    {
        public void Dispose()
        {
            Cancel.Dispose();
            Scraper.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scraping {Address} (pool {Pool}, engine {Engine})")]
    private static partial void LogAdded(ILogger logger, string address, string pool, string engine);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped scraping {Address} (pool {Pool}): no longer discovered")]
    private static partial void LogRemoved(ILogger logger, string address, string pool);
}
