namespace InferenceMesh.Contracts;

/// <summary>What the servers' reported prefix-cache hits (OpenAI <c>usage.prompt_tokens_details.cached_tokens</c>) said
/// about the approximate index since the last report, per endpoint: blocks the server served from its cache beyond what
/// the index had promised at the pick (<see cref="PrefixCapacityEvidence.OverBlocks"/>: the index forgot what the server
/// still holds, its capacity is too small) and blocks promised but not served (<see cref="PrefixCapacityEvidence.UnderBlocks"/>:
/// the server evicted or lost them, the capacity is too large). Sent by the schedulers to prefix-index
/// (<see cref="PrefixIndexMethods.CapacityFeedback"/>), which moves each endpoint's LRU capacity by it (docs/prefix-index.md).</summary>
public sealed record PrefixCapacityFeedback(IReadOnlyList<PrefixCapacityEvidence> Endpoints);

/// <summary>One endpoint's evidence since the last report, in index blocks (both ≥ 0).</summary>
public sealed record PrefixCapacityEvidence(string Endpoint, long OverBlocks, long UnderBlocks);

/// <summary>Each reported endpoint's capacity after the feedback, in blocks.</summary>
public sealed record PrefixCapacityFeedbackResponse(IReadOnlyDictionary<string, int> Capacities);

/// <summary>Implemented by prefix-index clients (and the in-process service) that take capacity feedback; a scheduler
/// whose client does not simply keeps its evidence to itself.</summary>
public interface IPrefixCapacityFeedbackService
{
    ValueTask<PrefixCapacityFeedbackResponse> ApplyCapacityFeedbackAsync(PrefixCapacityFeedback feedback, CancellationToken cancellationToken);
}
