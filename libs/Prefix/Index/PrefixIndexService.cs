using System.Buffers;
using System.Diagnostics;
using InferenceMesh.Contracts;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Prefix.Index;

/// <summary><see cref="IPrefixIndexService"/> over an <see cref="IPrefixIndex"/>: validates requests, measures, and turns
/// store failures into "no match" (routing degrades to load-only instead of failing).</summary>
internal sealed partial class PrefixIndexService(IPrefixIndex index, PrefixIndexOptions options, PrefixIndexMetrics metrics, ILogger<PrefixIndexService> logger)
    : IPrefixIndexService
{
    private static readonly Dictionary<string, int> NoMatches = [];
    private long _lastFailureLog = long.MinValue;

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

    private void StoreFailed(string operation, Exception ex)
    {
        var kind = Redis.RedisErrors.Kind(ex);
        metrics.StoreErrors.Add(1, new KeyValuePair<string, object?>("kind", kind));
        // While the store is down every request fails the same way: one line per 5 s is enough.
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastFailureLog);
        if (now - last < 5000 || Interlocked.CompareExchange(ref _lastFailureLog, now, last) != last)
            return;
        LogStoreFailure(logger, operation, index.Backend, kind, ex.Message);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Prefix index {Operation} failed on the {Backend} store ({Kind}), answering no match: {Reason}")]
    private static partial void LogStoreFailure(ILogger logger, string operation, string backend, string kind, string reason);
}
