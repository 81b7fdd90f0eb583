using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>In-flight load across replicas: another replica's dispatch counts in the endpoint's load from the moment its
/// event arrives until a snapshot scraped after the dispatch shows it (or its completion arrives), exactly as this
/// replica's own dispatches count. Without it R replicas can overshoot a server by R × the headroom between scrapes.
/// The events come late, though: every replica gets the same snapshot at about the same moment and releases its queue at
/// once, before any of the others' dispatches arrive. So the replicas live on the topic (those that sent a dispatch in
/// the last <c>ReplicaLivenessMs</c>, and this one) split each snapshot's headroom: each takes every N-th free queue
/// place of an endpoint (<see cref="EndpointState.SharedWaiting"/>), and together they fill what one replica would.</summary>
public sealed partial class SchedulingService
{
    private readonly Dictionary<string, InFlightEntry> _remote = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _senders = new(StringComparer.Ordinal);
    private readonly List<string> _expiredSenders = [];
    private int _liveReplicas = 1;
    private int _rank;

    /// <summary>Scheduler replicas splitting the queue headroom now: this one and those whose dispatch events arrived in
    /// the last <c>ReplicaLivenessMs</c> (as of the latest snapshot or new sender).</summary>
    public int LiveReplicas
    {
        get
        {
            lock (_gate)
                return _liveReplicas;
        }
    }

    /// <summary>Dispatches of other replicas counted now (not yet in a snapshot, not completed).</summary>
    public int RemoteInFlight
    {
        get
        {
            lock (_gate)
                return _remote.Count;
        }
    }

    /// <summary>Counts another replica's dispatch (an event on the fan-out topic) in the endpoint's load, and records its
    /// placement (<see cref="RoutingDecision.PlacementHashes"/>) in this replica's recent placements.</summary>
    /// <returns>False when the decision is this replica's own, names an unknown pool or endpoint, or is already older
    /// than the endpoint's latest scrape (the scrape shows its load; its placement is still recorded).</returns>
    public bool ApplyRemoteDispatch(RoutingDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        if (string.IsNullOrEmpty(decision.RequestId) || string.IsNullOrEmpty(decision.Pool) || string.IsNullOrEmpty(decision.Endpoint)
            || string.Equals(decision.SchedulerReplica, ReplicaId, StringComparison.Ordinal))
            return false;
        lock (_gate)
        {
            NoteSenderLocked(decision.SchedulerReplica);
            if (_disposed || !_pools.TryGetValue(decision.Pool, out var pool) || FindEndpoint(pool, decision.Endpoint) is not { } endpoint)
                return false;
            if (decision.DecidedAtUnixMs < endpoint.ScrapedAtMs)
            {
                // A scrape newer than the decision shows its load, not where its prefix went. (A redelivery of such a
                // decision records the placement again: the same entries, and its blocks twice on the endpoint's clock.)
                RecordRemotePlacementLocked(pool, endpoint, decision);
                return false;
            }
            // Pub/sub delivers at least once: a redelivered decision replaces its first copy.
            var redelivered = _remote.Remove(decision.RequestId, out var previous);
            if (redelivered)
                FreeRemote(previous!);
            _remote[decision.RequestId] = new InFlightEntry(pool, endpoint, decision.DecidedAtUnixMs);
            endpoint.SinceSnapshot++;
            endpoint.RemoteSinceSnapshot++;
            // The prefill it sent joins the endpoint's virtual queue, which a scrape shows as one running request.
            if (!redelivered && double.IsFinite(decision.PrefillMs) && decision.PrefillMs > 0)
                endpoint.BacklogUntilMs = Math.Max(endpoint.BacklogUntilMs, decision.DecidedAtUnixMs) + decision.PrefillMs;
            if (!redelivered)
                RecordRemotePlacementLocked(pool, endpoint, decision);
        }
        return true;
    }

    /// <summary>Another replica's placement, as if this replica had made it: a request released here follows the prefix it placed.</summary>
    private void RecordRemotePlacementLocked(PoolRuntime pool, EndpointState endpoint, RoutingDecision decision)
    {
        if (!pool.Profile.PlacementAware || decision.PlacementHashes is not { Count: > 0 and <= MaxPlacementHashes } sample)
            return;
        _placements.RecordSample(sample, endpoint, decision.UncachedBlocks);
    }

    /// <summary>Most placement hashes taken from one remote dispatch (a bound against a malformed event): a prompt of 256
    /// blocks, the default <c>PrefixHash:MaxBlocks</c>, samples to 17.</summary>
    private const int MaxPlacementHashes = 256;

    /// <summary>For a request this replica dispatched in a placement-aware pool and still in flight: the hashes its recent
    /// placements recorded (<see cref="RecentPlacements.Sample"/> of <paramref name="blockHashes"/>) and the blocks the
    /// pick did not credit as cached, to announce with the dispatch; null otherwise. The sample is made outside the lock.</summary>
    public (IReadOnlyList<ulong> Hashes, int UncachedBlocks)? SharedPlacement(string requestId, IReadOnlyList<ulong>? blockHashes) =>
        SharedPlacement(DispatchFacts(requestId).Placed, blockHashes);

    private static (IReadOnlyList<ulong> Hashes, int UncachedBlocks)? SharedPlacement(PrefixPromise placed, IReadOnlyList<ulong>? blockHashes)
    {
        if (!placed.Made)
            return null;
        var sample = RecentPlacements.Sample(blockHashes, placed.TotalBlocks);
        return sample.Length == 0 ? null : (sample, Math.Max(0, placed.TotalBlocks - placed.MatchedBlocks));
    }

    /// <summary>What a dispatch of this replica still in flight announces: its predicted prefill and its placement (one lock).</summary>
    private (double PrefillMs, PrefixPromise Placed) DispatchFacts(string requestId)
    {
        lock (_gate)
            return _inFlight.TryGetValue(requestId, out var entry) ? (entry.PrefillMs, entry.Placed) : (0, default);
    }

    /// <summary>The prefill time the picker predicted for a request this replica dispatched and is still in flight; 0 if none.</summary>
    public double PredictedPrefillMs(string requestId) => DispatchFacts(requestId).PrefillMs;

    /// <summary>Another replica's completion: its dispatch stops counting, what waited here for capacity may go, and a
    /// streamed one measures the endpoint's decode speed as this replica's own do.</summary>
    private void CompleteRemote(RequestCompletion completion)
    {
        List<(QueuedRequest, ScheduleResponse)>? released = null;
        lock (_gate)
        {
            // Another replica's streamed completion measures the endpoint's speed here too.
            if (EndpointState.MeasuresDecode(completion, _options.PredictedTtft.MinDecodeMs) && !string.IsNullOrEmpty(completion.Endpoint))
            {
                foreach (var pool in _pools.Values)
                    FindEndpoint(pool, completion.Endpoint)?.ObserveDecode(completion, _options.PredictedTtft.MinDecodeMs);
            }
            if (!_remote.Remove(completion.RequestId, out var entry))
                return;
            FreeRemote(entry);
            ReleaseLocked(entry.Pool, NowMs(), ref released);
        }
        CompleteReleased(released);
    }

    /// <summary>After a snapshot of <paramref name="pool"/>: remote dispatches the scrape shows are forgotten, the rest
    /// count again on top of the scraped numbers, and the live replicas split the new headroom. Caller holds the gate.</summary>
    private void RecountRemoteLocked(PoolRuntime pool)
    {
        ForgetSilentSendersLocked(NowMs());
        ShareHeadroom(pool);
        if (_remote.Count == 0)
            return;
        List<string>? covered = null;
        foreach (var (id, entry) in _remote)
        {
            if (entry.Pool != pool)
                continue;
            var e = entry.Endpoint;
            if (entry.DispatchedAtMs >= e.ScrapedAtMs && FindEndpoint(pool, e.Address) == e)
            {
                e.SinceSnapshot++;
                e.RemoteSinceSnapshot++;
            }
            else
                (covered ??= []).Add(id);
        }
        if (covered is null)
            return;
        foreach (var id in covered)
            _remote.Remove(id);
    }

    /// <summary>Forgets remote dispatches older than <c>InFlightExpiryMs</c> (no snapshot came to cover them). Caller holds the gate.</summary>
    private void SweepRemoteLocked(long nowMs) => ExpireLocked(_remote, nowMs, FreeRemote);

    /// <summary>Removes and frees the entries dispatched more than <c>InFlightExpiryMs</c> ago; returns how many. Caller holds the gate.</summary>
    private int ExpireLocked(Dictionary<string, InFlightEntry> entries, long nowMs, Action<InFlightEntry> free)
    {
        List<string>? stale = null;
        foreach (var (id, entry) in entries)
        {
            if (nowMs - entry.DispatchedAtMs > _options.InFlightExpiryMs)
                (stale ??= []).Add(id);
        }
        if (stale is null)
            return 0;
        foreach (var id in stale)
        {
            if (entries.Remove(id, out var entry))
                free(entry);
        }
        return stale.Count;
    }

    private static void FreeRemote(InFlightEntry entry)
    {
        var e = entry.Endpoint;
        if (entry.DispatchedAtMs >= e.ScrapedAtMs)
        {
            e.SinceSnapshot = Math.Max(0, e.SinceSnapshot - 1);
            e.RemoteSinceSnapshot = Math.Max(0, e.RemoteSinceSnapshot - 1);
        }
    }

    /// <summary>Another replica sent a dispatch event, so it is live; a replica this one did not know of joins the split at
    /// once, not from the next snapshot. Caller holds the gate.</summary>
    private void NoteSenderLocked(string? replica)
    {
        if (_options.ReplicaLivenessMs == 0 || string.IsNullOrEmpty(replica))
            return;
        var known = _senders.ContainsKey(replica);
        _senders[replica] = NowMs();
        if (!known)
            ShareHeadroomLocked();
    }

    /// <summary>Drops the replicas whose latest dispatch event is older than <c>ReplicaLivenessMs</c> (stopped, or idle:
    /// either way they spend no headroom now) and recounts the split. Caller holds the gate.</summary>
    private void ForgetSilentSendersLocked(long nowMs)
    {
        if (_senders.Count == 0)
            return;
        _expiredSenders.Clear();
        foreach (var (id, lastMs) in _senders)
        {
            if (nowMs - lastMs > _options.ReplicaLivenessMs)
                _expiredSenders.Add(id);
        }
        if (_expiredSenders.Count == 0)
            return;
        foreach (var id in _expiredSenders)
            _senders.Remove(id);
        ShareHeadroomLocked();
    }

    /// <summary>Recounts the live replicas and this one's rank among them (ordinal order of the ids, the same on every
    /// replica) and gives every pool's endpoints their split. Caller holds the gate.</summary>
    private void ShareHeadroomLocked()
    {
        _liveReplicas = 1 + _senders.Count;
        _rank = 0;
        foreach (var id in _senders.Keys)
        {
            if (string.CompareOrdinal(id, ReplicaId) < 0)
                _rank++;
        }
        foreach (var pool in _pools.Values)
            ShareHeadroom(pool);
    }

    /// <summary>Gives each endpoint of <paramref name="pool"/> this replica's slot in the split, rotated by the endpoint's
    /// place in the snapshot and by the snapshot's sequence (both the same on every replica), so the first free place of an
    /// endpoint — often the only one under load — goes to each replica in turn rather than always to the same one.</summary>
    private void ShareHeadroom(PoolRuntime pool)
    {
        var endpoints = pool.Endpoints;
        var turn = (int)(Math.Max(0, pool.SnapshotSequence) % _liveReplicas);
        for (var i = 0; i < endpoints.Length; i++)
        {
            endpoints[i].ShareReplicas = _liveReplicas;
            endpoints[i].ShareSlot = (_rank + turn + i) % _liveReplicas;
        }
    }

    private static EndpointState? FindEndpoint(PoolRuntime pool, string address)
    {
        var endpoints = pool.Endpoints;
        for (var i = 0; i < endpoints.Length; i++)
        {
            if (string.Equals(endpoints[i].Address, address, StringComparison.Ordinal))
                return endpoints[i];
        }
        return null;
    }
}
