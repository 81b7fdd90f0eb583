using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

public sealed partial class SchedulingService
{
    /// <summary>Critical may fill endpoints past the thresholds (up to <c>CriticalSaturationLimit</c>), lower bands only up
    /// to <c>StandardSaturationLimit</c>: lower bands wait in this queue, Critical goes ahead of them into the servers' own queues.</summary>
    private double LimitFor(Criticality band) =>
        band == Criticality.Critical ? Math.Max(1.0, _options.CriticalSaturationLimit) : Math.Clamp(_options.StandardSaturationLimit, 0.0, 1.0);

    private static string? Invalid(ScheduleRequest r)
    {
        if (string.IsNullOrEmpty(r.RequestId))
            return "requestId is required";
        if (string.IsNullOrEmpty(r.Pool))
            return "pool is required";
        if (r.Criticality is < Criticality.Critical or > Criticality.Sheddable)
            return $"criticality {(int)r.Criticality} is not Critical, Standard or Sheddable";
        if (r.TtlMs < 0)
            return "ttlMs must not be negative";
        if (r.TtftSloMs < 0)
            return "ttftSloMs must not be negative";
        return null;
    }

    /// <summary>Decides at arrival: dispatch now, reject, or queue (<paramref name="queued"/> set, null returned).</summary>
    private ScheduleResponse? AdmitLocked(ScheduleRequest request, PoolRuntime pool, PrefixMatchResponse? match, long nowMs, out QueuedRequest? queued,
        ref List<(QueuedRequest, ScheduleResponse)>? released)
    {
        queued = null;
        if (_disposed)
            return Finish(request.Criticality, Reject(ScheduleOutcome.Cancelled, "scheduler shutting down", 0), wasQueued: false);
        if (_picker.Filter(pool.Endpoints, request.Subset, nowMs) == 0)
            return Finish(request.Criticality, NoCandidates(request, pool, 0), wasQueued: false);
        if (SloRejectionLocked(request, pool, match, nowMs) is { } missed)
            return Finish(request.Criticality, missed, wasQueued: false);
        var saturated = !FailingOpenLocked(pool, nowMs) && _picker.AllSaturated(pool.Endpoints, nowMs, LimitFor(request.Criticality));
        var queuedAhead = QueuedAheadLocked(pool, request.Criticality);
        if (!saturated && !queuedAhead)
            return Finish(request.Criticality, DispatchLocked(request, pool, match, nowMs, 0), wasQueued: false);
        if (request.Criticality == Criticality.Sheddable)
        {
            var why = saturated ? $"pool '{pool.Name}' is saturated; sheddable requests are rejected" : "higher-priority requests are queued; sheddable requests are rejected";
            return Finish(request.Criticality, Reject(ScheduleOutcome.Shed, why, 0), wasQueued: false);
        }
        if (!pool.UseQueueing)
            return Finish(request.Criticality, DispatchLocked(request, pool, match, nowMs, 0), wasQueued: false);
        var band = pool.Bands[(int)request.Criticality];
        var item = new QueuedRequest(request, match, pool, _time.GetTimestamp(), nowMs + (request.TtlMs > 0 ? request.TtlMs : _options.DefaultTtlMs));
        if (_options.OverflowWhenFull)
            OverflowLocked(band, item.Bytes, pool, nowMs, ref released);
        if (!band.Fits(item.Bytes, _options.BandMaxRequests, _options.BandMaxBytes))
        {
            if (_options.OverflowWhenFull && _picker.Filter(pool.Endpoints, request.Subset, nowMs) > 0)
                return Finish(request.Criticality, DispatchLocked(request, pool, match, nowMs, 0), wasQueued: false);
            var why = $"{SchedulerMetrics.BandName(request.Criticality)} queue of pool '{pool.Name}' is full ({band.Count} requests, {band.Bytes} bytes)";
            return Finish(request.Criticality, Reject(ScheduleOutcome.QueueFull, why, 0), wasQueued: false);
        }
        band.Enqueue(item);
        queued = item;
        return null;
    }

    /// <summary>Makes room for <paramref name="bytes"/> in a full band by sending its oldest requests on to the servers past the
    /// gate, as queueing off would: first come keeps first served, and the arrival waits its turn instead of being refused.</summary>
    private void OverflowLocked(Band band, long bytes, PoolRuntime pool, long nowMs, ref List<(QueuedRequest, ScheduleResponse)>? released)
    {
        while (!band.Fits(bytes, _options.BandMaxRequests, _options.BandMaxBytes) && band.Peek() is { } head)
        {
            var response = _picker.Filter(pool.Endpoints, head.Request.Subset, nowMs) == 0
                ? NoCandidates(head.Request, pool, QueuedMs(head))
                : DispatchLocked(head.Request, pool, head.Match, nowMs, QueuedMs(head));
            band.PopHead();
            (released ??= []).Add((head, Finish(head.Request.Criticality, response, wasQueued: true)));
        }
    }

    /// <summary>Releases queued requests in priority order (<see cref="NextLocked"/>) while the head's candidates have capacity.</summary>
    private void ReleaseLocked(PoolRuntime pool, long nowMs, ref List<(QueuedRequest, ScheduleResponse)>? released)
    {
        if (pool.QueuedCount == 0)
            return;
        while (NextLocked(pool) is ({ } head, { } band, var gate))
        {
            ScheduleResponse response;
            if (_picker.Filter(pool.Endpoints, head.Request.Subset, nowMs) == 0)
            {
                response = NoCandidates(head.Request, pool, QueuedMs(head));
            }
            else
            {
                // If the head cannot go, nothing behind it jumps ahead.
                if (pool.UseQueueing && !FailingOpenLocked(pool, nowMs) && _picker.AllSaturated(pool.Endpoints, nowMs, LimitFor(gate)))
                    return;
                response = DispatchLocked(head.Request, pool, head.Match, nowMs, QueuedMs(head));
            }
            band.PopHead();
            (released ??= []).Add((head, Finish(head.Request.Criticality, response, wasQueued: true)));
        }
    }

    /// <summary><c>PriorityAgingMs</c> in timestamp ticks; 0 = strict priority.</summary>
    private long AgingTicks => _options.PriorityAgingMs * _time.TimestampFrequency / 1000;

    /// <summary>Release order: earliest enqueue time, pushed back one aging step per band below Critical.</summary>
    private static long ReleaseKey(QueuedRequest item, long agingTicks) => item.EnqueuedTimestamp + (int)item.Request.Criticality * agingTicks;

    /// <summary>The request to release next: the highest band's head, or a lower band's head whose release key is earlier (it
    /// has waited more than the aging bound longer than that head). It passes the gate on the terms of the highest band queued,
    /// whose requests it goes ahead of.</summary>
    private (QueuedRequest? Head, Band? Band, Criticality Gate) NextLocked(PoolRuntime pool)
    {
        var aging = AgingTicks;
        QueuedRequest? head = null;
        Band? band = null;
        var gate = Criticality.Critical;
        foreach (var b in pool.Bands)
        {
            if (b.Peek() is not { } h)
                continue;
            if (head is null)
            {
                (head, band, gate) = (h, b, b.Criticality);
                if (aging == 0)
                    break;
            }
            else if (ReleaseKey(h, aging) < ReleaseKey(head, aging))
            {
                (head, band) = (h, b);
            }
        }
        return (head, band, gate);
    }

    /// <summary>Whether an arrival of <paramref name="band"/> has to queue behind a queued request: any of its band or above, or
    /// a lower band's head that has waited past the aging bound (its release key is before the arrival's).</summary>
    private bool QueuedAheadLocked(PoolRuntime pool, Criticality band)
    {
        if (pool.HasQueuedAtOrAbove(band))
            return true;
        var aging = AgingTicks;
        if (aging == 0)
            return false;
        var arrivalKey = _time.GetTimestamp() + (int)band * aging;
        for (var b = (int)band + 1; b < pool.Bands.Length; b++)
        {
            if (pool.Bands[b].Peek() is { } head && ReleaseKey(head, aging) <= arrivalKey)
                return true;
        }
        return false;
    }

    private void ExpireLocked(PoolRuntime pool, long nowMs, List<QueuedRequest> scratch, ref List<(QueuedRequest, ScheduleResponse)>? released)
    {
        if (pool.QueuedCount == 0)
            return;
        scratch.Clear();
        foreach (var band in pool.Bands)
            band.CopyTo(scratch);
        foreach (var item in scratch)
        {
            if (item.DeadlineMs > nowMs)
                continue;
            pool.Bands[(int)item.Request.Criticality].Remove(item);
            var why = $"waited {QueuedMs(item):F0} ms for capacity in pool '{pool.Name}' and reached its queue TTL";
            (released ??= []).Add((item, Finish(item.Request.Criticality, Reject(ScheduleOutcome.Expired, why, QueuedMs(item)), wasQueued: true)));
        }
    }

    private static void CancelQueued(object state)
    {
        var (service, item) = ((SchedulingService, QueuedRequest))state;
        service.Cancel(item);
    }

    private void Cancel(QueuedRequest item)
    {
        bool removed;
        lock (_gate)
            removed = item.Pool.Bands[(int)item.Request.Criticality].Remove(item);
        if (removed)
            item.Completion.TrySetResult(Finish(item.Request.Criticality, Reject(ScheduleOutcome.Cancelled, "the caller went away while queued", QueuedMs(item)), wasQueued: true));
    }

    private void OnTick()
    {
        List<(QueuedRequest, ScheduleResponse)>? released = null;
        List<PrefixCapacityEvidence>? feedback;
        lock (_gate)
        {
            if (_disposed)
                return;
            var nowMs = NowMs();
            var scratch = new List<QueuedRequest>();
            foreach (var pool in _pools.Values)
            {
                ExpireLocked(pool, nowMs, scratch, ref released);
                ReleaseLocked(pool, nowMs, ref released);
            }
            if (nowMs - _lastInFlightSweepMs >= 1000)
            {
                _lastInFlightSweepMs = nowMs;
                SweepInFlightLocked(nowMs);
                SweepRemoteLocked(nowMs);
            }
            feedback = TakeDueCapacityFeedbackLocked(nowMs);
        }
        CompleteReleased(released);
        if (feedback is not null)
            _ = SendCapacityFeedbackAsync((IPrefixCapacityFeedbackService)_prefix!, feedback);
    }

    /// <summary>Forgets dispatches whose completion never came, so a lost event does not hold load forever.</summary>
    private void SweepInFlightLocked(long nowMs)
    {
        var expired = ExpireLocked(_inFlight, nowMs, Free);
        if (expired > 0)
            LogInFlightExpired(expired);
    }

    private static void Free(InFlightEntry entry)
    {
        var e = entry.Endpoint;
        e.InFlight = Math.Max(0, e.InFlight - 1);
        if (entry.DispatchedAtMs >= e.ScrapedAtMs)
            e.SinceSnapshot = Math.Max(0, e.SinceSnapshot - 1);
        else
            e.FreedSinceSnapshot++;
    }

    private static void CompleteReleased(List<(QueuedRequest Item, ScheduleResponse Response)>? released)
    {
        if (released is null)
            return;
        foreach (var (item, response) in released)
            item.Completion.TrySetResult(response);
    }

    private PoolRuntime GetPoolLocked(string name)
    {
        if (!_pools.TryGetValue(name, out var pool))
        {
            pool = new PoolRuntime(name);
            Resolve(pool);
            _pools[name] = pool;
        }
        return pool;
    }

    /// <summary>Profile and queueing switch, each on its own: <c>Scheduler:Pools:{pool}</c> first (an operator's explicit override),
    /// then the pool's annotations (InferencePool, from discovery), then the defaults.</summary>
    private void Resolve(PoolRuntime pool)
    {
        _options.Pools.TryGetValue(pool.Name, out var configured);
        var strategy = string.IsNullOrWhiteSpace(configured?.RoutingStrategy) ? null : configured.RoutingStrategy.Trim();
        var queueing = configured?.UseQueueing;
        if (pool.Annotations is { } a)
        {
            if (strategy is null && a.TryGetValue(PoolAnnotations.RoutingStrategy, out var s) && !string.IsNullOrWhiteSpace(s))
                strategy = s.Trim();
            if (queueing is null && a.TryGetValue(PoolAnnotations.UseQueueing, out var q) && bool.TryParse(q?.Trim(), out var qb))
                queueing = qb;
        }
        var name = strategy switch
        {
            null => _options.DefaultProfile,
            PoolAnnotations.StrategyDefault => _options.DefaultProfile,
            PoolAnnotations.StrategyPrefixCache => _options.PrefixCacheProfile,
            // Same weights; the prefix score comes from the exact sets (prefix-index /match-precise, docs/kv-events.md).
            PoolAnnotations.StrategyPrecisePrefixCache => _options.PrefixCacheProfile,
            _ when _profiles.ContainsKey(strategy) => strategy,
            _ => _options.DefaultProfile,
        };
        pool.ProfileName = name;
        pool.PrecisePrefix = strategy == PoolAnnotations.StrategyPrecisePrefixCache;
        pool.Profile = _profiles[name];
        pool.UseQueueing = queueing ?? _options.UseQueueing;
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private double QueuedMs(QueuedRequest item) => _time.GetElapsedTime(item.EnqueuedTimestamp).TotalMilliseconds;

    private ScheduleResponse Reject(ScheduleOutcome outcome, string reason, double queuedMs) =>
        new(outcome, null, [], StatusFor(outcome), reason, ReplicaId, queuedMs);

    private ScheduleResponse NoCandidates(ScheduleRequest request, PoolRuntime pool, double queuedMs)
    {
        var why = request.Subset is { Count: > 0 }
            ? $"none of the {request.Subset.Count} endpoints in the subset hint is a healthy endpoint of pool '{pool.Name}'"
            : $"pool '{pool.Name}' has no healthy endpoints";
        return Reject(ScheduleOutcome.NoCandidates, why, queuedMs);
    }

    private ScheduleResponse Finish(Criticality band, ScheduleResponse response, bool wasQueued)
    {
        _metrics.Outcome(band, response.Outcome, response.QueuedMs, wasQueued);
        return response;
    }

    /// <summary>The HTTP status the client gets for an outcome (GIE's codes).</summary>
    public static int StatusFor(ScheduleOutcome outcome) => outcome switch
    {
        ScheduleOutcome.Scheduled => 200,
        ScheduleOutcome.BadRequest => 400,
        ScheduleOutcome.Shed or ScheduleOutcome.QueueFull => 429,
        _ => 503,
    };
}
