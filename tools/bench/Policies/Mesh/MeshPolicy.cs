using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>Runs the real InferenceMesh scheduler (<see cref="SchedulingService"/>: saturation detector, flow-control queue,
/// profiles) in-process on the replay's simulated clock. Prefix matches come from an approximate LRU index recorded right
/// after each pick, standing in for the prefix-index service. Queued requests answer <see cref="Picks.Defer"/> until the
/// scheduler releases them; shed ones answer <see cref="Picks.Reject"/> (429), expired ones <see cref="Picks.Unavailable"/> (503).
/// With <see cref="SchedulerOptions.CapacityFeedbackIntervalMs"/> set, the scheduler's capacity evidence moves the LRU's
/// capacities every interval by prefix-index's rule (<see cref="CapacityCalibration"/>), as the service does.</summary>
internal sealed class MeshPolicy : IRoutingPolicy, IDisposable
{
    private const string Pool = "bench";
    private readonly SchedulingService _scheduler;
    private readonly IBenchPrefixIndex? _index;
    private readonly Dictionary<string, int> _indexOf = new(StringComparer.Ordinal);
    private readonly Dictionary<int, (RoutingRequest Request, Task<ScheduleResponse> Task)> _pending = [];
    private readonly HashSet<int> _announced = [];
    private readonly Dictionary<string, int> _matches = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<string> _addresses;
    private readonly TimeProvider _clock;
    private readonly string _replicaId;
    private readonly InFlightFeed? _feed;
    private readonly SnapshotSequences _sequences;
    private EndpointMetrics? _lastSeen;
    private int _feedCursor;
    private long _scheduled;
    private long _tickedAtMs = long.MinValue;
    private readonly PrefixIndexOptions _feedbackRule;
    private readonly int _feedbackEveryMs;
    private double _feedbackAtMs;

    /// <param name="feedbackRule">prefix-index's capacity-feedback options (mode and steps); null = the defaults.</param>
    /// <param name="engineReportedCapacity">The LRU's capacity is the servers' reported KV size (not a guess).</param>
    public MeshPolicy(string name, PolicyContext context, SchedulerOptions options, string profile, IBenchPrefixIndex? index,
        PrefixIndexOptions? feedbackRule = null, bool engineReportedCapacity = false)
    {
        Name = name;
        _index = index;
        _addresses = context.Endpoints;
        for (var i = 0; i < context.Endpoints.Count; i++)
            _indexOf[context.Endpoints[i]] = i;
        // The replay drives expiry through Tick(); the wall-clock timer should stay out of the way.
        options.TickMs = 60_000;
        options.RandomSeed = context.Seed;
        _clock = context.TimeProvider;
        _replicaId = context.Replica is { } replica ? "bench-replica-" + replica.Index.ToString(System.Globalization.CultureInfo.InvariantCulture) : "bench-replica";
        if (context.Replica is { ShareInFlight: true, Count: > 1 } r)
        {
            // A replica that starts late reads the topic from now on; older dispatches are in the snapshots it gets.
            _feed = r.Shared("inflight-feed", () => new InFlightFeed(r.EventDelayMs));
            _feedCursor = _feed.Count;
        }
        // One collector's sequence numbers, the same on every replica (a replica may skip snapshots it was not asked between).
        _sequences = context.Replica is { } shared ? shared.Shared("snapshot-sequences", () => new SnapshotSequences()) : new SnapshotSequences();
        _feedbackRule = feedbackRule ?? new PrefixIndexOptions();
        _feedbackEveryMs = index is LruPrefixIndex && CapacityCalibration.Applies(_feedbackRule.CapacityFeedback, engineReportedCapacity)
            ? options.CapacityFeedbackIntervalMs : 0;
        _scheduler = new SchedulingService(options, context.TimeProvider, new Random(context.Seed), _replicaId);
        _scheduler.ConfigurePool(Pool, new Dictionary<string, string> { [PoolAnnotations.RoutingStrategy] = profile });
    }

    public string Name { get; }

    public int Pick(RoutingRequest request, FleetView fleet)
    {
        Sync(fleet);
        if (_pending.Remove(request.Index, out var pending))
        {
            if (!pending.Task.IsCompleted)
            {
                _pending[request.Index] = pending;
                return Picks.Defer;
            }
            return Answer(pending.Task.Result);
        }

        var schedule = new ScheduleRequest(request.RequestId, Pool, request.Model, request.Model, request.Criticality, HeaderNames.DefaultFairnessId,
            request.BlockHashes, (long)request.PromptTokens * 4, [], 0);
        var response = _scheduler.TrySchedule(schedule, Match(request), out var queued);
        _scheduled = ScheduledCount();
        if (response is not null)
            return Answer(response);
        _pending[request.Index] = (request, queued!);
        return Picks.Defer;
    }

    public void OnDispatched(RoutingRequest request, int endpoint, FleetView fleet)
    {
        _index?.Record(endpoint, request.BlockHashes);
        if (!_announced.Remove(request.Index))
            Announce(request, _addresses[endpoint]);
    }

    public void OnCompleted(RoutingRequest request, int endpoint, RequestOutcome outcome)
    {
        if (endpoint < 0)
            return;
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        // What ext-proc reports from the response's usage: prompt, output and cached tokens, and the first token's time.
        var completion = new RequestCompletion(request.RequestId, _replicaId, _addresses[endpoint], outcome.StatusCode, request.PromptTokens, outcome.OutputTokens, now)
        {
            CachedTokens = outcome.CachedTokens,
            FirstTokenAtUnixMs = outcome.StatusCode == 200 && outcome.E2eMs >= outcome.TtftMs ? now - (long)Math.Round(outcome.E2eMs - outcome.TtftMs) : 0,
        };
        _scheduler.Complete(completion);
        AnnounceReleased();
        _feed?.Completed(_clock.GetTimestamp() * 1000.0 / _clock.TimestampFrequency, completion);
    }

    public void Dispose() => _scheduler.Dispose();

    // The scheduler's own status (ext-proc answers the same): 429 shed / queue full, 503 TTL expiry / no candidates.
    private int Answer(ScheduleResponse response) =>
        response.Outcome == ScheduleOutcome.Scheduled && response.Endpoint is { } e && _indexOf.TryGetValue(e, out var i) ? i
        : response.StatusCode == 503 ? Picks.Unavailable : Picks.Reject;

    private PrefixMatchResponse? Match(RoutingRequest request)
    {
        if (_index is null || request.BlockHashes.Count == 0)
            return null;
        _matches.Clear();
        for (var i = 0; i < _addresses.Count; i++)
        {
            var m = _index.Match(i, request.BlockHashes);
            if (m > 0)
                _matches[_addresses[i]] = m;
        }
        // A copy: the scheduler may hold the match while the request waits.
        return new PrefixMatchResponse(new Dictionary<string, int>(_matches, StringComparer.Ordinal), Math.Min(request.BlockHashes.Count, _index.MaxBlocks));
    }

    /// <summary>Publishes a dispatch on the fan-out topic now, as the scheduler service does when it decides (a released
    /// request's continuation publishes it as soon as the release completes it).</summary>
    private void Announce(RoutingRequest request, string endpoint)
    {
        if (_feed is null)
            return;
        // As the scheduler service announces it on the fan-out topic: without the block hashes, with the placement's sample.
        var shared = _scheduler.SharedPlacement(request.RequestId, request.BlockHashes);
        _feed.Dispatched(_clock.GetTimestamp() * 1000.0 / _clock.TimestampFrequency, new RoutingDecision(request.RequestId, Pool, request.Model, endpoint, [],
            _replicaId, request.Criticality, _clock.GetUtcNow().ToUnixTimeMilliseconds(), _scheduler.PredictedPrefillMs(request.RequestId),
            shared?.Hashes, shared?.UncachedBlocks ?? 0));
    }

    /// <summary>Announces the queued requests the scheduler released since the last look, at the moment of the release
    /// rather than when the replay next asks about each of them (by then the other replicas may have spent the same
    /// snapshot's headroom without seeing these dispatches).</summary>
    private void AnnounceReleased()
    {
        var scheduled = ScheduledCount();
        if (scheduled == _scheduled)
            return;
        _scheduled = scheduled;
        if (_feed is null)
            return;
        foreach (var (index, (request, task)) in _pending)
        {
            if (task.IsCompleted && task.Result is { Outcome: ScheduleOutcome.Scheduled, Endpoint: { } endpoint } && _announced.Add(index))
                Announce(request, endpoint);
        }
    }

    private long ScheduledCount() =>
        _scheduler.OutcomeCount(Criticality.Critical, ScheduleOutcome.Scheduled) + _scheduler.OutcomeCount(Criticality.Standard, ScheduleOutcome.Scheduled)
        + _scheduler.OutcomeCount(Criticality.Sheddable, ScheduleOutcome.Scheduled);

    /// <summary>Feeds each new scrape to the scheduler as a snapshot, then lets it expire and release.</summary>
    private void Sync(FleetView fleet)
    {
        _feed?.Deliver(ref _feedCursor, fleet.NowMs, _replicaId, _scheduler);
        if (fleet.Count > 0 && !ReferenceEquals(fleet.Metrics[0], _lastSeen))
        {
            _lastSeen = fleet.Metrics[0];
            var published = 0L;
            foreach (var m in fleet.Metrics)
                published = Math.Max(published, m.ScrapedAtUnixMs);
            _scheduler.ApplySnapshot(new PoolSnapshot(Pool, "bench", _sequences.Of(published), published, fleet.Metrics));
        }
        // Once per simulated millisecond: a tick expires and releases, and within one millisecond every snapshot, completion
        // and arrival releases on its own. Ticking on every retried pick made a deep queue cost O(queue²) per retry round.
        var now = (long)fleet.NowMs;
        if (now != _tickedAtMs)
        {
            _tickedAtMs = now;
            _scheduler.Tick();
        }
        AnnounceReleased();
        ApplyCapacityFeedback(fleet.NowMs);
    }

    /// <summary>Every feedback interval, what prefix-index does with the scheduler's evidence: each endpoint's capacity
    /// moved by <see cref="CapacityCalibration.Next"/>.</summary>
    private void ApplyCapacityFeedback(double nowMs)
    {
        if (_feedbackEveryMs <= 0 || nowMs - _feedbackAtMs < _feedbackEveryMs || _index is not LruPrefixIndex lru)
            return;
        _feedbackAtMs = nowMs;
        foreach (var e in _scheduler.TakeCapacityEvidence())
        {
            if (_indexOf.TryGetValue(e.Endpoint, out var i))
                lru.SetCapacity(i, CapacityCalibration.Next(lru.CapacityOf(i), e.OverBlocks, e.UnderBlocks, _feedbackRule));
        }
    }
}
