using System.Threading.Channels;
using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Hashing;
using InferenceMesh.Prefix.Index.Exact;
using Microsoft.Extensions.Options;
using NetMQ;

namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary>
/// Follows every discovered endpoint's KV-event publisher and keeps its exact block set in Redis
/// (<see cref="ExactBlockSets"/>). Endpoints come from the pools' metrics snapshots (every replica receives all of them);
/// one replica writes each endpoint, the holder of its Redis lease, so the replicas share the work and a dead replica's
/// endpoints move to another within a lease period. Everything that changes state runs on one loop (the writer), fed by
/// a bounded channel from the sockets' poller thread and by a lease tick.
/// </summary>
internal sealed partial class KvEventsConsumer : BackgroundService
{
    private readonly KvEventsOptions _options;
    private readonly ExactBlockSets _sets;
    private readonly TimeProvider _time;
    private readonly ILogger<KvEventsConsumer> _logger;
    private readonly Channel<KvEventItem> _channel;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EndpointFollower> _followers = new(StringComparer.Ordinal);
    private readonly HashSet<EndpointFollower> _dirty = [];
    private readonly ulong _modelSeed;
    private readonly TimeSpan _lease;
    private readonly TimeSpan _live;
    private NetMQPoller? _poller;

    public KvEventsConsumer(IOptions<KvEventsOptions> options, ExactBlockSets sets, TimeProvider time, ILogger<KvEventsConsumer> logger)
    {
        _options = options.Value;
        _sets = sets;
        _time = time;
        _logger = logger;
        _channel = Channel.CreateBounded<KvEventItem>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        _modelSeed = PrefixHasher.ModelSeed(_options.Model ?? string.Empty);
        _lease = TimeSpan.FromMilliseconds(_options.LeaseMs);
        _live = _lease * 2;
        ReplicaId = $"{Environment.MachineName}-{Guid.NewGuid():N}";
    }

    /// <summary>This replica's lease owner name.</summary>
    public string ReplicaId { get; }

    /// <summary>Endpoints this replica writes now.</summary>
    public IReadOnlyCollection<string> Following
    {
        get
        {
            lock (_gate)
                return [.. _followingNames];
        }
    }

    private readonly HashSet<string> _followingNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _unanswered = new(StringComparer.Ordinal);

    /// <summary>Replay requests to <paramref name="endpoint"/> that timed out (diagnostics: a publisher that is not there).</summary>
    internal int UnansweredReplays(string endpoint)
    {
        lock (_gate)
            return _unanswered.GetValueOrDefault(endpoint);
    }

    /// <summary>Notes the endpoints of a pool snapshot (called by the endpoint-metrics subscription).</summary>
    public void Observe(PoolSnapshot snapshot)
    {
        if (snapshot?.Endpoints is null)
            return;
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            foreach (var e in snapshot.Endpoints)
            {
                if (!string.IsNullOrEmpty(e.Address))
                    _lastSeen[e.Address] = now;
            }
        }
        _channel.Writer.TryWrite(new KvEventItem(KvEventItemKind.Tick, null, 0, null));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _poller = [];
        _poller.RunAsync("kv-events-consumer", isBackgroundThread: true);
        using var ticker = _time.CreateTimer(_ => _channel.Writer.TryWrite(new KvEventItem(KvEventItemKind.Tick, null, 0, null)),
            null, TimeSpan.Zero, _lease / 3);
        try
        {
            var reader = _channel.Reader;
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                    await HandleAsync(item).ConfigureAwait(false);
                await FlushAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await StopAllAsync().ConfigureAwait(false);
            _poller.Stop();
            _poller.Dispose();
        }
    }

    private async Task HandleAsync(KvEventItem item)
    {
        if (item.Kind == KvEventItemKind.Tick)
        {
            await TickAsync().ConfigureAwait(false);
            return;
        }
        // Items of a subscription that was replaced or stopped are ignored.
        if (item.Source is not { } source || !_followers.TryGetValue(source.Endpoint, out var f) || f.Subscription != source)
            return;
        switch (item.Kind)
        {
            case KvEventItemKind.Live:
                f.Heard = true;
                f.Sequencer.OnLive(item.Sequence, item.Payload);
                break;
            case KvEventItemKind.Replay:
                f.Heard = true;
                f.Sequencer.OnReplay(item.Sequence, item.Payload);
                break;
            default:
                if (item.Sequence == f.ReplayId && f.Sequencer.Replaying)
                {
                    lock (_gate)
                        _unanswered[f.Endpoint] = _unanswered.GetValueOrDefault(f.Endpoint) + 1;
                    f.Sequencer.OnReplayTimeout();
                }
                break;
        }
        _dirty.Add(f);
    }

    private async Task FlushAsync()
    {
        foreach (var f in _dirty)
        {
            // Not marked followed before its publisher answered: one that publishes nothing keeps the approximate fallback.
            if (!f.Heard)
                continue;
            var changes = f.Map.TakeChanges();
            if (changes.IsEmpty)
                continue;
            try
            {
                await _sets.ApplyAsync(f.Endpoint, changes.ClearFirst, changes.Add, changes.Remove, _live).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                // The set in Redis no longer matches the map: rewrite it whole on the next flush.
                LogWriteFailed(_logger, f.Endpoint, ex.Message);
                f.Map.MarkAllDirty();
            }
        }
        _dirty.Clear();
    }

    private async Task TickAsync()
    {
        var now = _time.GetUtcNow();
        var absentAfter = TimeSpan.FromSeconds(_options.RemoveAbsentAfterSeconds);
        List<string> present = [];
        List<string> gone = [];
        lock (_gate)
        {
            foreach (var (address, seen) in _lastSeen)
                (now - seen > absentAfter ? gone : present).Add(address);
            foreach (var address in gone)
                _lastSeen.Remove(address);
        }
        foreach (var address in gone)
            await ForgetAsync(address).ConfigureAwait(false);
        foreach (var address in present)
            await LeaseAsync(address).ConfigureAwait(false);
        foreach (var f in _followers.Values)
            f.Sequencer.CatchUp();
    }

    private async Task LeaseAsync(string address)
    {
        LeaseState state;
        try
        {
            state = await _sets.AcquireAsync(address, ReplicaId, _lease).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            LogLeaseFailed(_logger, address, ex.Message);
            return;
        }
        var following = _followers.TryGetValue(address, out var f);
        if (state == LeaseState.HeldElsewhere)
        {
            if (following)
                Stop(address, f!);
            return;
        }
        if (!following || state == LeaseState.Acquired)
        {
            if (following)
                Stop(address, f!);
            Start(address);
        }
        else if (f!.Heard)
        {
            await KeepLiveAsync(address).ConfigureAwait(false);
        }
    }

    private async Task KeepLiveAsync(string address)
    {
        try
        {
            await _sets.KeepLiveAsync(address, _live).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            LogWriteFailed(_logger, address, ex.Message);
        }
    }

    /// <summary>Where an endpoint's publisher is (tests point it at publishers on ephemeral ports); by default
    /// <see cref="TryPublisherUris"/>.</summary>
    internal Func<string, (Uri Publisher, Uri Replay)?>? PublisherResolver { get; set; }

    private void Start(string address)
    {
        Uri pub, replay;
        if (PublisherResolver is { } resolve)
        {
            if (resolve(address) is not { } found)
                return;
            (pub, replay) = found;
        }
        else if (!TryPublisherUris(address, out pub, out replay))
        {
            LogBadAddress(_logger, address);
            return;
        }
        var subscription = new EndpointSubscription(address, pub, replay, _options.Topic, _poller!, _channel.Writer);
        var follower = new EndpointFollower(subscription, new EngineBlockMap(_modelSeed, _options.BlockCharacters), RequestReplay,
            (f, ex) => LogBadBatch(_logger, f.Endpoint, ex.Message));
        _followers[address] = follower;
        _dirty.Add(follower);
        follower.Begin();
        lock (_gate)
            _followingNames.Add(address);
        LogFollowing(_logger, address, pub, ReplicaId);
    }

    private void Stop(string address, EndpointFollower f)
    {
        f.Dispose();
        _followers.Remove(address);
        _dirty.Remove(f);
        lock (_gate)
            _followingNames.Remove(address);
    }

    private async Task ForgetAsync(string address)
    {
        if (_followers.TryGetValue(address, out var f))
            Stop(address, f);
        try
        {
            await _sets.ReleaseAsync(address, ReplicaId, forget: true).ConfigureAwait(false);
            LogForgotten(_logger, address);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            LogLeaseFailed(_logger, address, ex.Message);
        }
    }

    private async Task StopAllAsync()
    {
        foreach (var (address, f) in _followers.ToArray())
        {
            Stop(address, f);
            try
            {
                // Hand over at once: another replica may take the endpoint without waiting for the lease to lapse.
                await _sets.ReleaseAsync(address, ReplicaId, forget: false).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                LogLeaseFailed(_logger, address, ex.Message);
            }
        }
    }

    private void RequestReplay(EndpointFollower f, long fromSequence)
    {
        f.Subscription.RequestReplay(fromSequence);
        var id = f.ReplayId;
        var source = f.Subscription;
        ITimer? timer = null;
        timer = _time.CreateTimer(_ =>
        {
            _channel.Writer.TryWrite(new KvEventItem(KvEventItemKind.ReplayTimeout, source, id, null));
            timer?.Dispose();
        }, null, TimeSpan.FromMilliseconds(_options.ReplayTimeoutMs), Timeout.InfiniteTimeSpan);
    }

    /// <summary>The endpoint's publisher and replay addresses: its host with the configured ports, or its own port plus
    /// the offset.</summary>
    internal bool TryPublisherUris(string address, out Uri publisher, out Uri replay)
    {
        publisher = replay = null!;
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
            return false;
        var host = address[..colon];
        var (p, r) = _options.PortOffset > 0
            ? (port + _options.PortOffset, port + (2 * _options.PortOffset))
            : (_options.PublisherPort, _options.ReplayPort);
        if (r > 65535)
            return false;
        publisher = new Uri($"tcp://{host}:{p}");
        replay = new Uri($"tcp://{host}:{r}");
        return true;
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Following the KV events of {Endpoint} at {Publisher} (writer {Replica})")]
    private static partial void LogFollowing(ILogger logger, string endpoint, Uri publisher, string replica);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Stopped following {Endpoint} (gone from its pool); its exact set is deleted")]
    private static partial void LogForgotten(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "Could not write the exact block set of {Endpoint}: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "KV-events lease of {Endpoint} failed: {Reason}")]
    private static partial void LogLeaseFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 44, Level = LogLevel.Warning, Message = "Unreadable KV-event batch from {Endpoint}, state reset: {Reason}")]
    private static partial void LogBadBatch(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 45, Level = LogLevel.Warning, Message = "Endpoint address {Endpoint} has no host:port; its KV events are not followed")]
    private static partial void LogBadAddress(ILogger logger, string endpoint);
}
