using System.Diagnostics.Metrics;
using InferenceMesh.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceMesh.Scheduling;

/// <summary>Admission, flow-control queue and the pick, in process. One instance per scheduler replica; thread-safe.</summary>
public sealed partial class SchedulingService : ISchedulingService, IDisposable
{
    private readonly SchedulerOptions _options;
    private readonly TimeProvider _time;
    private readonly IPrefixIndexService? _prefix;
    private readonly IRoutingDecisionPublisher? _publisher;
    private readonly ILogger _logger;
    private readonly SchedulerMetrics _metrics;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, PoolRuntime> _pools = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InFlightEntry> _inFlight = new(StringComparer.Ordinal);
    private readonly EndpointPicker _picker;
    private readonly RecentPlacements _placements;
    private readonly Dictionary<string, SchedulingProfile> _profiles;
    private readonly FailOpenRouting _failOpen;
    private readonly int[] _picked;
    private readonly CapacityEvidence _evidence;
    private readonly ITimer _timer;
    private long _lastInFlightSweepMs;
    private bool _disposed;

    /// <summary>Creates a scheduler replica.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="time">Clock and timers (virtual in tests).</param>
    /// <param name="random">Tie-break randomness (seeded in tests and benches).</param>
    /// <param name="replicaId">This replica's id; completions naming another replica are ignored.</param>
    /// <param name="prefix">Prefix matcher; null = no prefix affinity.</param>
    /// <param name="publisher">Where decisions are announced; null = nowhere.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="meterFactory">Meter factory (DI); null = a private meter.</param>
    public SchedulingService(
        SchedulerOptions options,
        TimeProvider time,
        Random random,
        string replicaId,
        IPrefixIndexService? prefix = null,
        IRoutingDecisionPublisher? publisher = null,
        ILogger<SchedulingService>? logger = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentException.ThrowIfNullOrEmpty(replicaId);
        _options = options;
        _time = time;
        _prefix = prefix;
        _publisher = publisher;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        ReplicaId = replicaId;
        _profiles = ProfileConfig.Load(options);
        if (!_profiles.ContainsKey(options.DefaultProfile) || !_profiles.ContainsKey(options.PrefixCacheProfile))
            throw new ArgumentException($"profiles '{options.DefaultProfile}' and '{options.PrefixCacheProfile}' must exist", nameof(options));
        _picker = new EndpointPicker(options, random);
        _placements = new RecentPlacements(options.PredictedTtft.PrefixBlockTokens, options.PlacementRetention);
        _failOpen = new FailOpenRouting(meterFactory, random);
        _picked = new int[1 + options.MaxFallbacks];
        _evidence = new CapacityEvidence(options.PredictedTtft.PrefixBlockTokens);
        _metrics = new SchedulerMetrics(meterFactory, ObserveQueueLengths);
        var tick = TimeSpan.FromMilliseconds(options.TickMs);
        _timer = time.CreateTimer(static s => ((SchedulingService)s!).OnTick(), this, tick, tick);
    }

    /// <summary>This replica's id, returned in every response so completions find their way back.</summary>
    public string ReplicaId { get; }

    /// <summary>How many calls of <paramref name="band"/> ended with <paramref name="outcome"/> since start.</summary>
    public long OutcomeCount(Criticality band, ScheduleOutcome outcome) => _metrics.Count(band, outcome);

    /// <inheritdoc />
    public async ValueTask<ScheduleResponse> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Invalid(request) is { } problem)
            return Finish(request.Criticality, Reject(ScheduleOutcome.BadRequest, problem, 0), wasQueued: false);

        PoolRuntime pool;
        lock (_gate)
            pool = GetPoolLocked(request.Pool);

        PrefixMatchResponse? match = null;
        if (_prefix is not null && request.BlockHashes is { Count: > 0 } && pool.Profile.UsesPrefix)
        {
            try
            {
                match = await MatchAsync(request, pool, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Finish(request.Criticality, Reject(ScheduleOutcome.Cancelled, "the caller went away", 0), wasQueued: false);
            }
        }

        var immediate = Admit(request, match, out QueuedRequest? pending);

        ScheduleResponse response;
        if (pending is null)
        {
            response = immediate!;
        }
        else
        {
            await using (cancellationToken.Register(static s => CancelQueued(s!), (this, pending)).ConfigureAwait(false))
                response = await pending.Completion.Task.ConfigureAwait(false);
        }

        if (response.Outcome == ScheduleOutcome.Scheduled)
            await PublishAsync(request, response).ConfigureAwait(false);
        return response;
    }

    /// <summary>Synchronous admission for single-threaded simulations (the bench): the response now, or null and a
    /// <paramref name="pending"/> task that completes (synchronously, inside a later snapshot, completion or
    /// <see cref="Tick"/>) when the queued request is released, expires or is cancelled. Publishes nothing.</summary>
    public ScheduleResponse? TrySchedule(ScheduleRequest request, PrefixMatchResponse? match, out Task<ScheduleResponse>? pending)
    {
        var immediate = Admit(request, match, out QueuedRequest? queued);
        pending = queued?.Completion.Task;
        return immediate;
    }

    /// <summary>Expires past-TTL requests and releases what capacity allows now (the timer does this every <c>TickMs</c>).</summary>
    public void Tick() => OnTick();

    /// <inheritdoc />
    public ValueTask CompleteAsync(RequestCompletion completion, CancellationToken cancellationToken)
    {
        Complete(completion);
        return ValueTask.CompletedTask;
    }

    private ScheduleResponse? Admit(ScheduleRequest request, PrefixMatchResponse? match, out QueuedRequest? queued)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Invalid(request) is { } problem)
        {
            queued = null;
            return Finish(request.Criticality, Reject(ScheduleOutcome.BadRequest, problem, 0), wasQueued: false);
        }
        List<(QueuedRequest, ScheduleResponse)>? released = null;
        ScheduleResponse? immediate;
        lock (_gate)
        {
            var pool = GetPoolLocked(request.Pool);
            var nowMs = NowMs();
            ReleaseLocked(pool, nowMs, ref released);
            immediate = AdmitLocked(request, pool, match, nowMs, out queued, ref released);
        }
        CompleteReleased(released);
        return immediate;
    }

    /// <summary>Frees the in-flight slot of a request this replica dispatched; another replica's completion ends the count
    /// of its dispatch here (<see cref="ApplyRemoteDispatch"/>).</summary>
    /// <returns>False when the completion belongs to another replica or to an unknown (or already completed) request.</returns>
    public bool Complete(RequestCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (string.IsNullOrEmpty(completion.RequestId))
            return false;
        if (!string.IsNullOrEmpty(completion.SchedulerReplica) && !string.Equals(completion.SchedulerReplica, ReplicaId, StringComparison.Ordinal))
        {
            CompleteRemote(completion);
            return false;
        }
        List<(QueuedRequest, ScheduleResponse)>? released = null;
        lock (_gate)
        {
            if (!_inFlight.Remove(completion.RequestId, out var entry))
                return false;
            Free(entry);
            var nowMs = NowMs();
            if (completion.StatusCode == 200)
                entry.Endpoint.ObserveCompletion(nowMs - entry.DispatchedAtMs, completion.CompletionTokens);
            entry.Endpoint.ObserveDecode(completion, _options.PredictedTtft.MinDecodeMs);
            _evidence.Observe(entry.Endpoint.Address, entry.Promise, completion);
            ReleaseLocked(entry.Pool, nowMs, ref released);
        }
        CompleteReleased(released);
        return true;
    }

    /// <summary>Takes a metrics snapshot; replays and out-of-order snapshots are dropped. Releases queued requests if capacity appeared.</summary>
    public SnapshotResult ApplySnapshot(PoolSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (string.IsNullOrEmpty(snapshot.Pool))
        {
            _metrics.Snapshot(SnapshotResult.Invalid);
            return SnapshotResult.Invalid;
        }
        List<(QueuedRequest, ScheduleResponse)>? released = null;
        SnapshotResult result;
        lock (_gate)
        {
            var pool = GetPoolLocked(snapshot.Pool);
            result = pool.Apply(snapshot, _inFlight);
            if (result == SnapshotResult.Applied)
            {
                RecountRemoteLocked(pool);
                ReleaseLocked(pool, NowMs(), ref released);
            }
        }
        CompleteReleased(released);
        _metrics.Snapshot(result);
        if (result != SnapshotResult.Applied)
            LogSnapshotDropped(snapshot.Pool, snapshot.CollectorId, snapshot.Sequence, result);
        return result;
    }

    /// <summary>Sets a pool's annotations (routing strategy, queueing switch), e.g. from its InferencePool.</summary>
    public void ConfigurePool(string pool, IReadOnlyDictionary<string, string> annotations)
    {
        ArgumentException.ThrowIfNullOrEmpty(pool);
        ArgumentNullException.ThrowIfNull(annotations);
        List<(QueuedRequest, ScheduleResponse)>? released = null;
        lock (_gate)
        {
            var p = GetPoolLocked(pool);
            p.Annotations = annotations;
            Resolve(p);
            ReleaseLocked(p, NowMs(), ref released);
        }
        CompleteReleased(released);
    }

    /// <summary>Whether every candidate of the pool is saturated; <see cref="EndpointPicker.AllSaturated"/> reads the
    /// candidates <see cref="EndpointPicker.Filter"/> left behind, so the two go together. Caller holds the gate.</summary>
    private bool PoolSaturatedLocked(PoolRuntime pool, long nowMs)
    {
        _picker.Filter(pool.Endpoints, null, nowMs);
        return _picker.AllSaturated(pool.Endpoints, nowMs);
    }

    /// <summary>Every pool's queue, the in-flight count and the outcome counters.</summary>
    public QueueStatus GetQueueStatus()
    {
        var pools = new List<PoolQueueStatus>();
        int inFlight;
        lock (_gate)
        {
            var nowMs = NowMs();
            inFlight = _inFlight.Count;
            foreach (var p in _pools.Values)
            {
                var bands = new BandStatus[p.Bands.Length];
                for (var b = 0; b < bands.Length; b++)
                    bands[b] = new BandStatus(p.Bands[b].Criticality, p.Bands[b].Count, p.Bands[b].Bytes, p.Bands[b].FlowCount);
                pools.Add(new PoolQueueStatus(p.Name, p.ProfileName, p.UseQueueing, PoolSaturatedLocked(p, nowMs), bands));
            }
        }
        var outcomes = new List<OutcomeCount>();
        foreach (var band in (ReadOnlySpan<Criticality>)[Criticality.Critical, Criticality.Standard, Criticality.Sheddable])
        {
            foreach (var outcome in Enum.GetValues<ScheduleOutcome>())
            {
                var n = _metrics.Count(band, outcome);
                if (n > 0)
                    outcomes.Add(new OutcomeCount(band, outcome, n));
            }
        }
        return new QueueStatus(ReplicaId, inFlight, pools, outcomes);
    }

    /// <summary>Every pool's endpoints as this replica sees them.</summary>
    public IReadOnlyList<PoolStatus> GetPoolStatus()
    {
        var result = new List<PoolStatus>();
        lock (_gate)
        {
            var nowMs = NowMs();
            foreach (var p in _pools.Values)
            {
                var endpoints = new EndpointStatus[p.Endpoints.Length];
                for (var i = 0; i < endpoints.Length; i++)
                {
                    var e = p.Endpoints[i];
                    var s = Scorers.GateSaturation(e, nowMs, _options);
                    endpoints[i] = new EndpointStatus(e.Address, e.Waiting, e.Running, e.KvUsage, e.SinceSnapshot, e.InFlight,
                        double.IsFinite(s) ? s : null, e.IsFresh(nowMs, _options.StalenessMs), e.Health, e.ScrapedAtMs,
                        e.MeasuredDecodeMsPerToken > 0 ? e.MeasuredDecodeMsPerToken : null);
                }
                result.Add(new PoolStatus(p.Name, p.ProfileName, p.UseQueueing, PoolSaturatedLocked(p, nowMs),
                    p.SnapshotCollector, p.SnapshotSequence, p.SnapshotPublishedAtMs == long.MinValue ? 0 : p.SnapshotPublishedAtMs, endpoints));
            }
        }
        return result;
    }

    /// <summary>Stops the timer and answers every queued request with 503.</summary>
    public void Dispose()
    {
        var pending = new List<QueuedRequest>();
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (var p in _pools.Values)
            {
                foreach (var band in p.Bands)
                    band.CopyTo(pending);
            }
            foreach (var item in pending)
                item.Pool.Bands[(int)item.Request.Criticality].Remove(item);
        }
        _timer.Dispose();
        foreach (var item in pending)
            item.Completion.TrySetResult(Finish(item.Request.Criticality, Reject(ScheduleOutcome.Cancelled, "scheduler shutting down", QueuedMs(item)), wasQueued: true));
        _metrics.Dispose();
    }
}
