using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>Per endpoint, how far the servers' reported cache hits (<see cref="RequestCompletion.CachedTokens"/>) were
/// from what the approximate index promised at the pick, summed in blocks until taken: served beyond the promise = the
/// index forgot what the server holds (its capacity guess is too small); promised but not served = the server evicted or
/// lost it (too large, or a cache reset). prefix-index moves each endpoint's capacity by it. Caller holds the gate.</summary>
internal sealed class CapacityEvidence(int blockTokens)
{
    private readonly Dictionary<string, (long Over, long Under)> _byEndpoint = new(StringComparer.Ordinal);

    public int Count => _byEndpoint.Count;

    /// <summary>Adds one completion's evidence; a failed request, one without a promise or without a reported hit adds nothing.</summary>
    public void Observe(string endpoint, PrefixPromise promise, RequestCompletion completion)
    {
        if (!promise.Made || completion.StatusCode != 200 || completion.CachedTokens is not int cached || cached < 0)
            return;
        var served = ServedBlocks(cached, completion.PromptTokens, promise.TotalBlocks, blockTokens);
        // One block either way is rounding (a partial block, the chat template's tokens), not evidence.
        if (Math.Abs(served - promise.MatchedBlocks) <= 1)
            return;
        _byEndpoint.TryGetValue(endpoint, out var e);
        _byEndpoint[endpoint] = served > promise.MatchedBlocks
            ? (e.Over + served - promise.MatchedBlocks, e.Under)
            : (e.Over, e.Under + promise.MatchedBlocks - served);
    }

    /// <summary>The served tokens in the index's blocks (hashed characters, not tokens): when the hashes cover the prompt
    /// (its tokens at most twice the configured <paramref name="blockTokens"/> per block), by the prompt's own tokens per
    /// block — its tokenizer, not the configured 4 characters a token; else (a prompt longer than the hashed part, or no
    /// prompt tokens reported) at <paramref name="blockTokens"/> a block. At most the prompt's hashed blocks.</summary>
    internal static int ServedBlocks(int cachedTokens, int promptTokens, int totalBlocks, int blockTokens)
    {
        if (promptTokens > 0 && promptTokens <= 2L * totalBlocks * blockTokens)
            return (int)Math.Min(totalBlocks, (long)cachedTokens * totalBlocks / promptTokens);
        return Math.Min(totalBlocks, cachedTokens / blockTokens);
    }

    /// <summary>Everything since the last take, emptied.</summary>
    public List<PrefixCapacityEvidence> Take()
    {
        var list = new List<PrefixCapacityEvidence>(_byEndpoint.Count);
        foreach (var (endpoint, (over, under)) in _byEndpoint)
            list.Add(new PrefixCapacityEvidence(endpoint, over, under));
        _byEndpoint.Clear();
        return list;
    }

    /// <summary>Puts back evidence that could not be delivered.</summary>
    public void Restore(IEnumerable<PrefixCapacityEvidence> evidence)
    {
        foreach (var e in evidence)
        {
            _byEndpoint.TryGetValue(e.Endpoint, out var had);
            _byEndpoint[e.Endpoint] = (had.Over + e.OverBlocks, had.Under + e.UnderBlocks);
        }
    }
}
