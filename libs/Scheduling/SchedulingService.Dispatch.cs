using System.Diagnostics.Metrics;
using InferenceMesh.Contracts;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Scheduling;

public sealed partial class SchedulingService
{
    /// <summary>Runs the pick over the candidates <see cref="EndpointPicker.Filter"/> left and records the dispatch.</summary>
    private ScheduleResponse DispatchLocked(ScheduleRequest request, PoolRuntime pool, PrefixMatchResponse? match, long nowMs, double queuedMs)
    {
        if (FailingOpenLocked(pool, nowMs))
            return DispatchFailOpenLocked(request, pool, nowMs, queuedMs);
        var started = _time.GetTimestamp();
        if (pool.UseQueueing)
            _picker.RankFullLast(LimitFor(request.Criticality));
        var hashes = request.BlockHashes?.Count ?? 0;
        var totalBlocks = match is { TotalBlocks: > 0 } ? match.TotalBlocks : hashes;
        var placements = pool.Profile.PlacementAware ? _placements : null;
        var n = _picker.Pick(pool.Endpoints, pool.Profile, match?.Matches, totalBlocks, AdapterOf(request), request.PromptBytes, nowMs, _picked, out var breakdown,
            TtftBudgetMs(request, queuedMs), placements, request.BlockHashes);
        if (n == 0)
            return NoCandidates(request, pool, queuedMs);
        var primary = pool.Endpoints[_picked[0]];
        var fallbacks = n > 1 ? new string[n - 1] : [];
        for (var i = 1; i < n; i++)
            fallbacks[i - 1] = pool.Endpoints[_picked[i]].Address;

        // The approximate index's promise for the chosen endpoint, checked against the server's reported hit at the completion.
        // Only a match taken just now: a queued request's match is as old as its wait, and what the index learnt meanwhile
        // (the same prefix placed there by others) would read as blocks the index had forgotten.
        var promise = match is not null && !pool.PrecisePrefix && queuedMs <= 0
            ? new PrefixPromise(match.Matches.TryGetValue(primary.Address, out var matched) ? matched : 0, totalBlocks)
            : default;
        var placed = placements is not null ? new PrefixPromise(_picker.ChosenMatchedBlocks, totalBlocks) : default;
        RecordDispatchLocked(request.RequestId, pool, primary, nowMs, _picker.ChosenPrefillMs, promise, placed);
        placements?.Record(request.BlockHashes, totalBlocks, primary, totalBlocks - _picker.ChosenMatchedBlocks);
        primary.BacklogUntilMs = Math.Max(primary.BacklogUntilMs, nowMs) + _picker.ChosenPrefillMs;
        _picker.ObservePromptTokens(Math.Max(request.PromptBytes / _options.PredictedTtft.CharsPerToken, (double)hashes * _options.PredictedTtft.PrefixBlockTokens));
        _metrics.Pick(_time.GetElapsedTime(started).TotalMicroseconds, breakdown);
        return new ScheduleResponse(ScheduleOutcome.Scheduled, primary.Address, fallbacks, 200, null, ReplicaId, queuedMs);
    }

    /// <summary>Records a dispatch of this replica: its in-flight entry (a re-dispatch of the same id replaces the old one)
    /// and the endpoint's counts, which the saturation gate and the next snapshot read.</summary>
    private void RecordDispatchLocked(string requestId, PoolRuntime pool, EndpointState primary, long nowMs, double prefillMs, PrefixPromise promise = default,
        PrefixPromise placed = default)
    {
        if (_inFlight.Remove(requestId, out var previous))
            Free(previous);
        _inFlight[requestId] = new InFlightEntry(pool, primary, nowMs, prefillMs, promise, placed);
        primary.InFlight++;
        primary.SinceSnapshot++;
    }

    private static string? AdapterOf(ScheduleRequest request) =>
        string.IsNullOrEmpty(request.TargetModel) ? request.Model : request.TargetModel;

    /// <summary>Asks the prefix index which candidates hold the prompt's leading blocks (PRECISE_PREFIX_CACHE pools: the
    /// precise lookup, when the index client offers it); errors and timeouts mean "no match".</summary>
    private async ValueTask<PrefixMatchResponse?> MatchAsync(ScheduleRequest request, PoolRuntime pool, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> candidates = request.Subset is { Count: > 0 } ? request.Subset : pool.Addresses;
        if (candidates.Count == 0)
            return null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(_options.PrefixMatchTimeoutMs), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var match = new PrefixMatchRequest(AdapterOf(request) ?? string.Empty, request.BlockHashes, candidates);
            return pool.PrecisePrefix && _prefix is IPrecisePrefixIndexService precise
                ? await precise.MatchPreciseAsync(match, linked.Token).ConfigureAwait(false)
                : await _prefix!.MatchAsync(match, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogPrefixMatchFailed(ex, request.RequestId);
            return null;
        }
    }

    private async ValueTask PublishAsync(ScheduleRequest request, ScheduleResponse response)
    {
        if (_publisher is null)
            return;
        var (prefillMs, placed) = DispatchFacts(request.RequestId);
        var shared = SharedPlacement(placed, request.BlockHashes);
        var decision = new RoutingDecision(request.RequestId, request.Pool, AdapterOf(request) ?? string.Empty, response.Endpoint!,
            request.BlockHashes ?? [], ReplicaId, request.Criticality, NowMs(), prefillMs, shared?.Hashes, shared?.UncachedBlocks ?? 0);
        try
        {
            // The decision stands even if the caller has gone; the index should still learn it.
            await _publisher.PublishAsync(decision, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogPublishFailed(ex, request.RequestId);
        }
    }

    private List<Measurement<int>> ObserveQueueLengths()
    {
        var list = new List<Measurement<int>>();
        lock (_gate)
        {
            foreach (var p in _pools.Values)
            {
                foreach (var b in p.Bands)
                {
                    list.Add(new Measurement<int>(b.Count,
                        new KeyValuePair<string, object?>("pool", p.Name),
                        new KeyValuePair<string, object?>("band", SchedulerMetrics.BandName(b.Criticality))));
                }
            }
        }
        return list;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Snapshot of pool {Pool} from {Collector} seq {Sequence} dropped: {Result}")]
    private partial void LogSnapshotDropped(string pool, string? collector, long sequence, SnapshotResult result);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Prefix match for request {RequestId} failed; picking without prefix affinity")]
    private partial void LogPrefixMatchFailed(Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing the routing decision of request {RequestId} failed")]
    private partial void LogPublishFailed(Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forgot {Count} in-flight dispatches whose completion never arrived")]
    private partial void LogInFlightExpired(int count);
}
