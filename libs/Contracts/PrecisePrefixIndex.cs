namespace InferenceMesh.Contracts;

/// <summary>The prefix lookup of <see cref="PoolAnnotations.StrategyPrecisePrefixCache"/> pools: per candidate, the
/// leading blocks its engine reported holding (KV-cache events), the approximate index's count for candidates that
/// publish no events — one round trip (docs/kv-events.md). Implemented by prefix-index clients that can ask for it; a
/// scheduler whose client does not falls back to <see cref="IPrefixIndexService.MatchAsync"/>.</summary>
public interface IPrecisePrefixIndexService
{
    ValueTask<PrefixMatchResponse> MatchPreciseAsync(PrefixMatchRequest request, CancellationToken cancellationToken);
}

/// <summary>prefix-index method names of the precise lookups and the capacity feedback (Dapr invocation <c>/v1.0/invoke/prefix-index/method/{name}</c>).</summary>
public static class PrefixIndexMethods
{
    /// <summary>Body <see cref="PrefixMatchRequest"/>, answer <see cref="PrefixMatchResponse"/>.</summary>
    public const string MatchPrecise = "match-precise";

    /// <summary>Body <see cref="PrefixMatchAndRecordRequest"/>, answer <see cref="PrefixMatchResponse"/>.</summary>
    public const string MatchPreciseAndRecord = "match-precise-and-record";

    /// <summary>Body <see cref="PrefixCapacityFeedback"/>, answer <see cref="PrefixCapacityFeedbackResponse"/>.</summary>
    public const string CapacityFeedback = "capacity-feedback";
}
