using System.Buffers;
using System.Diagnostics;
using InferenceMesh.Contracts;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Prefix.Index;

/// <summary><see cref="IPrefixIndexService"/> over an <see cref="IPrefixIndex"/>: validates requests, measures, and turns
/// store failures into "no match" (routing degrades to load-only instead of failing). Also takes the schedulers' capacity
/// feedback (<see cref="IPrefixCapacityFeedbackService"/>, <see cref="CapacityCalibration"/>).</summary>
internal sealed partial class PrefixIndexService(IPrefixIndex index, PrefixIndexOptions options, PrefixIndexMetrics metrics, ILogger<PrefixIndexService> logger,
    EngineCapacities? engineCapacities = null)
    : IPrefixIndexService, IPrefixCapacityFeedbackService, IDisposable
{
    private static readonly Dictionary<string, int> NoMatches = [];
    private long _lastFailureLog = long.MinValue;
    // Feedback is a read-modify-write of each capacity: one report at a time, so two reports to this process never
    // overwrite each other's step (replicas sharing a store can still interleave; the next report corrects that).
    private readonly SemaphoreSlim _feedbackGate = new(1, 1);

    public async ValueTask<PrefixMatchResponse> MatchAsync(PrefixMatchRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request.Model, request.BlockHashes, request.Candidates, endpoint: null, needsEndpoint: false);
        return await RunAsync(request.Model, request.BlockHashes, request.Candidates, null, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<PrefixMatchResponse> MatchAndRecordAsync(PrefixMatchAndRecordRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request.Model, request.BlockHashes, request.Candidates, request.Endpoint, needsEndpoint: true);
        return await RunAsync(request.Model, request.BlockHashes, request.Candidates, request.Endpoint, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask RecordAsync(PrefixRecordRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request.Model, request.BlockHashes, [], request.Endpoint, needsEndpoint: true);
        if (request.BlockHashes.Count == 0)
            return;
        var (buffer, hashes) = Rent(request.BlockHashes);
        try
        {
            await index.RecordAsync(request.Model, request.Endpoint, hashes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            StoreFailed("record", ex);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(buffer);
        }
    }

    public async ValueTask<PrefixCapacityFeedbackResponse> ApplyCapacityFeedbackAsync(PrefixCapacityFeedback feedback, CancellationToken cancellationToken)
    {
        var evidence = Validate(feedback);
        var capacities = new Dictionary<string, int>(evidence.Count, StringComparer.Ordinal);
        if (evidence.Count == 0)
            return new PrefixCapacityFeedbackResponse(capacities);
        await _feedbackGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (endpoint, (over, under)) in evidence)
            {
                int current;
                try
                {
                    current = await index.GetCapacityAsync(endpoint, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
                {
                    StoreFailed("capacity-feedback", ex, "leaving the capacity as it was");
                    continue; // unknown: left out of the answer
                }
                capacities[endpoint] = current;
                if ((over == 0 && under == 0) || !CapacityCalibration.Applies(options.CapacityFeedback, engineCapacities?.IsReported(endpoint) == true))
                    continue;
                var next = CapacityCalibration.Next(current, over, under, options);
                if (next == current)
                    continue;
                try
                {
                    await index.SetCapacityAsync(endpoint, next, cancellationToken).ConfigureAwait(false);
                    capacities[endpoint] = next;
                }
                catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
                {
                    StoreFailed("capacity-feedback", ex, "leaving the capacity as it was");
                }
            }
        }
        finally
        {
            _feedbackGate.Release();
        }
        return new PrefixCapacityFeedbackResponse(capacities);
    }

    /// <summary>The report's evidence per endpoint, in order; an endpoint reported twice gets the sum.</summary>
    private Dictionary<string, (long Over, long Under)> Validate(PrefixCapacityFeedback? feedback)
    {
        if (feedback is null)
            throw new PrefixRequestException("The body is required.");
        if (feedback.Endpoints is null)
            throw new PrefixRequestException("'endpoints' is required (may be empty).");
        if (feedback.Endpoints.Count > options.MaxCandidates)
            throw new PrefixRequestException($"'endpoints' has {feedback.Endpoints.Count} entries; at most {options.MaxCandidates} are accepted (PrefixIndex:MaxCandidates).");
        var evidence = new Dictionary<string, (long Over, long Under)>(feedback.Endpoints.Count, StringComparer.Ordinal);
        for (var i = 0; i < feedback.Endpoints.Count; i++)
        {
            var entry = feedback.Endpoints[i] ?? throw new PrefixRequestException($"'endpoints[{i}]' is null.");
            if (string.IsNullOrWhiteSpace(entry.Endpoint))
                throw new PrefixRequestException($"'endpoints[{i}].endpoint' is required.");
            if (entry.OverBlocks < 0)
                throw new PrefixRequestException($"'endpoints[{i}].overBlocks' is {entry.OverBlocks}; it must not be negative.");
            if (entry.UnderBlocks < 0)
                throw new PrefixRequestException($"'endpoints[{i}].underBlocks' is {entry.UnderBlocks}; it must not be negative.");
            var (over, under) = evidence.GetValueOrDefault(entry.Endpoint);
            evidence[entry.Endpoint] = (SaturatingAdd(over, entry.OverBlocks), SaturatingAdd(under, entry.UnderBlocks));
        }
        return evidence;
    }

    private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private async ValueTask<PrefixMatchResponse> RunAsync(string model, IReadOnlyList<ulong> blockHashes, IReadOnlyList<string> candidates, string? endpoint, CancellationToken cancellationToken)
    {
        var total = blockHashes.Count;
        if (total == 0 || (candidates.Count == 0 && endpoint is null))
            return new PrefixMatchResponse(NoMatches, total);
        var started = Stopwatch.GetTimestamp();
        var (buffer, hashes) = Rent(blockHashes);
        int[] matched;
        try
        {
            matched = endpoint is null
                ? await index.MatchAsync(model, hashes, candidates, cancellationToken).ConfigureAwait(false)
                : await index.MatchAndRecordAsync(model, hashes, candidates, endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(ex, cancellationToken))
        {
            StoreFailed(endpoint is null ? "match" : "match-and-record", ex);
            return new PrefixMatchResponse(NoMatches, total);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(buffer);
        }

        Dictionary<string, int>? result = null;
        var best = 0;
        for (var i = 0; i < matched.Length; i++)
        {
            if (matched[i] <= 0)
                continue;
            result ??= new Dictionary<string, int>(StringComparer.Ordinal);
            result[candidates[i]] = matched[i];
            best = Math.Max(best, matched[i]);
        }
        metrics.RecordMatch(total, best, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new PrefixMatchResponse(result ?? NoMatches, total);
    }

    private void Validate(string? model, IReadOnlyList<ulong>? hashes, IReadOnlyList<string>? candidates, string? endpoint, bool needsEndpoint)
    {
        if (string.IsNullOrWhiteSpace(model))
            throw new PrefixRequestException("'model' is required.");
        if (hashes is null)
            throw new PrefixRequestException("'blockHashes' is required (may be empty).");
        if (hashes.Count > options.MaxHashes)
            throw new PrefixRequestException($"'blockHashes' has {hashes.Count} hashes; at most {options.MaxHashes} are accepted (PrefixIndex:MaxHashes).");
        if (candidates is null)
            throw new PrefixRequestException("'candidates' is required (may be empty).");
        if (candidates.Count > options.MaxCandidates)
            throw new PrefixRequestException($"'candidates' has {candidates.Count} endpoints; at most {options.MaxCandidates} are accepted (PrefixIndex:MaxCandidates).");
        for (var i = 0; i < candidates.Count; i++)
        {
            if (string.IsNullOrEmpty(candidates[i]))
                throw new PrefixRequestException($"'candidates[{i}]' is empty.");
        }
        if (needsEndpoint && string.IsNullOrWhiteSpace(endpoint))
            throw new PrefixRequestException("'endpoint' is required.");
    }

    public void Dispose() => _feedbackGate.Dispose();

    private static (ulong[] Buffer, ReadOnlyMemory<ulong> Hashes) Rent(IReadOnlyList<ulong> hashes)
    {
        var buffer = ArrayPool<ulong>.Shared.Rent(Math.Max(1, hashes.Count));
        for (var i = 0; i < hashes.Count; i++)
            buffer[i] = hashes[i];
        return (buffer, buffer.AsMemory(0, hashes.Count));
    }

    /// <summary>Anything but the caller giving up counts as the store failing.</summary>
    private static bool IsStoreFailure(Exception ex, CancellationToken cancellationToken)
        => !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested) && ex is not PrefixRequestException;

    private void StoreFailed(string operation, Exception ex, string consequence = "answering no match")
    {
        var kind = Redis.RedisErrors.Kind(ex);
        metrics.StoreErrors.Add(1, new KeyValuePair<string, object?>("kind", kind));
        // While the store is down every request fails the same way: one line per 5 s is enough.
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastFailureLog);
        if (now - last < 5000 || Interlocked.CompareExchange(ref _lastFailureLog, now, last) != last)
            return;
        LogStoreFailure(logger, operation, index.Backend, kind, consequence, ex.Message);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Prefix index {Operation} failed on the {Backend} store ({Kind}), {Consequence}: {Reason}")]
    private static partial void LogStoreFailure(ILogger logger, string operation, string backend, string kind, string consequence, string reason);
}
