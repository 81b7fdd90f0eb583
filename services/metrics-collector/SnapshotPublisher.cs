using System.Collections.Concurrent;
using Dapr;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Kubernetes;
using InferenceMesh.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace InferenceMesh.MetricsCollector;

/// <summary>Every interval, builds one <see cref="PoolSnapshot"/> per pool from the endpoints' current states (unhealthy ones left
/// out, stale ones flagged), publishes it to <see cref="DaprNames.EndpointMetricsTopic"/> on the fan-out pub/sub, and saves the
/// latest to the state store at most once per <see cref="CollectorOptions.SnapshotSaveInterval"/>.</summary>
internal sealed partial class SnapshotPublisher : BackgroundService
{
    private readonly ScrapeManager _scrapes;
    private readonly IPoolDiscovery _discovery;
    private readonly IEventPublisher _publisher;
    private readonly ISnapshotStore? _store;
    private readonly CollectorOptions _options;
    private readonly string _collectorId;
    private readonly TimeProvider _time;
    private readonly CollectorMetrics _metrics;
    private readonly ILogger<SnapshotPublisher> _logger;
    private readonly ConcurrentDictionary<string, PoolSnapshot> _latest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastSave = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task> _saving = new(StringComparer.Ordinal);
    private long _sequence;
    private bool _publishFailing;
    private bool _saveFailing;

    public SnapshotPublisher(ScrapeManager scrapes, IPoolDiscovery discovery, IEventPublisher publisher, IServiceProvider services,
        IOptions<CollectorOptions> options, ServiceIdentity identity, TimeProvider time, CollectorMetrics metrics, ILogger<SnapshotPublisher> logger)
    {
        _scrapes = scrapes;
        _discovery = discovery;
        _publisher = publisher;
        _options = options.Value;
        _store = _options.SaveSnapshots ? services.GetService<ISnapshotStore>() : null;
        _collectorId = identity.ReplicaId;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        // Start from the wall clock in microseconds so a restarted collector that keeps its replica id (a container restart in
        // the same pod) still moves forward and subscribers do not drop its snapshots as replays.
        _sequence = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
    }

    /// <summary>The last snapshot built for <paramref name="pool"/>, or null.</summary>
    public PoolSnapshot? Latest(string pool) => _latest.TryGetValue(pool, out var s) ? s : null;

    /// <summary>Every pool's last snapshot.</summary>
    public IReadOnlyCollection<PoolSnapshot> AllLatest => [.. _latest.Values];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.ScrapeInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
                await PublishTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        foreach (var t in _saving.Values)
            await t.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Builds and sends one snapshot per pool.</summary>
    public async Task PublishTickAsync(CancellationToken cancellationToken)
    {
        var view = _discovery.Current;
        var states = _scrapes.States;
        foreach (var pool in view.Pools)
        {
            var endpoints = new List<EndpointMetrics>();
            var unscraped = false;
            foreach (var state in states)
            {
                if (state.Endpoint.Pool != pool.Name)
                    continue;
                var reading = state.Read();
                unscraped |= reading.Metrics is null && reading.ConsecutiveFailures < _options.UnhealthyAfterFailures;
                if (reading.Health != EndpointHealth.Unhealthy && reading.Metrics is not null)
                    endpoints.Add(reading.Metrics);
            }
            // A (re)started collector's first snapshot waits until every endpoint has numbers or is judged unhealthy
            // (UnhealthyAfterFailures failed scrapes, so bounded by a few scrape timeouts): published earlier, the endpoints
            // without numbers yet (a first scrape that timed out on a busy node included) would read as gone to every
            // scheduler replica, which would answer 503 "no healthy endpoints" while holding the previous snapshot.
            if (unscraped && !_latest.ContainsKey(pool.Name))
                continue;
            var snapshot = new PoolSnapshot(pool.Name, _collectorId, Interlocked.Increment(ref _sequence),
                _time.GetUtcNow().ToUnixTimeMilliseconds(), endpoints);
            _latest[pool.Name] = snapshot;
            await PublishAsync(snapshot, cancellationToken).ConfigureAwait(false);
            MaybeSave(snapshot, cancellationToken);
        }
        if (_latest.Count > view.Pools.Count)
        {
            foreach (var name in _latest.Keys)
            {
                if (!view.Pools.Any(p => p.Name == name))
                    _latest.TryRemove(name, out _);
            }
        }
    }

    private async Task PublishAsync(PoolSnapshot snapshot, CancellationToken cancellationToken)
    {
        try
        {
            await _publisher.PublishAsync(DaprNames.FanOutPubSub, DaprNames.EndpointMetricsTopic, snapshot,
                ContractsJsonContext.Default.PoolSnapshot, cancellationToken).ConfigureAwait(false);
            _metrics.Published(snapshot.Pool);
            if (_publishFailing)
            {
                _publishFailing = false;
                LogPublishRecovered(_logger, snapshot.Pool);
            }
        }
        catch (Exception ex) when (ex is DaprException or HttpRequestException
                                       || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _metrics.PublishFailed(snapshot.Pool, "publish");
            if (!_publishFailing)
            {
                _publishFailing = true;
                LogPublishFailed(_logger, snapshot.Pool, ex);
            }
        }
    }

    private void MaybeSave(PoolSnapshot snapshot, CancellationToken cancellationToken)
    {
        if (_store is null)
            return;
        var now = _time.GetTimestamp();
        if (_lastSave.TryGetValue(snapshot.Pool, out var last) && _time.GetElapsedTime(last, now) < _options.SnapshotSaveInterval)
            return;
        if (_saving.TryGetValue(snapshot.Pool, out var inFlight) && !inFlight.IsCompleted)
            return; // A slow store must not delay publication; the next due tick writes a fresher snapshot anyway.
        _lastSave[snapshot.Pool] = now;
        _saving[snapshot.Pool] = SaveAsync(snapshot, cancellationToken);
    }

    private async Task SaveAsync(PoolSnapshot snapshot, CancellationToken cancellationToken)
    {
        try
        {
            await _store!.SaveAsync(snapshot, cancellationToken).ConfigureAwait(false);
            if (_saveFailing)
            {
                _saveFailing = false;
                LogSaveRecovered(_logger, snapshot.Pool);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex) when (ex is DaprException or HttpRequestException or OperationCanceledException)
        {
            _metrics.PublishFailed(snapshot.Pool, "save");
            if (!_saveFailing)
            {
                _saveFailing = true;
                LogSaveFailed(_logger, snapshot.Pool, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing snapshots of pool {Pool} fails; retrying every tick")]
    private static partial void LogPublishFailed(ILogger logger, string pool, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Publishing snapshots of pool {Pool} works again")]
    private static partial void LogPublishRecovered(ILogger logger, string pool);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Saving the snapshot of pool {Pool} to the state store fails")]
    private static partial void LogSaveFailed(ILogger logger, string pool, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Saving the snapshot of pool {Pool} works again")]
    private static partial void LogSaveRecovered(ILogger logger, string pool);
}
