using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;
using InferenceMesh.Prefix.Index.Exact;

namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary>
/// The PRECISE_PREFIX_CACHE strategy's prefix score: a candidate whose KV events are followed is matched against its
/// engine's exact block set; one that publishes nothing (or whose writer is gone) falls back to the approximate index.
/// The approximate record still happens (it is the fallback's data). Self-contained on purpose: a scorer plugin can wrap
/// it as is. Exact-store failures degrade to the approximate answer; without an exact store (a backend other than redis)
/// nobody's events are followed and every candidate scores from the approximate index.
/// </summary>
internal sealed partial class PrecisePrefixMatcher(IPrefixIndexService approximate, ExactBlockSets? exact, ILogger<PrecisePrefixMatcher> logger)
{
    public async ValueTask<PrefixMatchResponse> MatchAsync(PrefixMatchRequest request, CancellationToken cancellationToken)
    {
        var approx = await approximate.MatchAsync(request, cancellationToken).ConfigureAwait(false);
        return await MergeAsync(approx, request.BlockHashes, request.Candidates).ConfigureAwait(false);
    }

    public async ValueTask<PrefixMatchResponse> MatchAndRecordAsync(PrefixMatchAndRecordRequest request, CancellationToken cancellationToken)
    {
        var approx = await approximate.MatchAndRecordAsync(request, cancellationToken).ConfigureAwait(false);
        return await MergeAsync(approx, request.BlockHashes, request.Candidates).ConfigureAwait(false);
    }

    private async ValueTask<PrefixMatchResponse> MergeAsync(PrefixMatchResponse approx, IReadOnlyList<ulong> hashes, IReadOnlyList<string> candidates)
    {
        if (exact is null || hashes.Count == 0 || candidates.Count == 0)
            return approx;
        int[] counts;
        try
        {
            counts = await exact.MatchAsync(hashes as ulong[] ?? [.. hashes], candidates).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            LogExactFailed(logger, ex.Message);
            return approx;
        }
        var matches = new Dictionary<string, int>(approx.Matches, StringComparer.Ordinal);
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] < 0)
                continue;
            if (counts[i] == 0)
                matches.Remove(candidates[i]);
            else
                matches[candidates[i]] = Math.Min(counts[i], approx.TotalBlocks);
        }
        return new PrefixMatchResponse(matches, approx.TotalBlocks);
    }

    [LoggerMessage(EventId = 46, Level = LogLevel.Warning, Message = "Exact block sets unreadable, answering from the approximate index: {Reason}")]
    private static partial void LogExactFailed(ILogger logger, string reason);
}
