using System.Text.Json.Serialization;

namespace InferenceMesh.Bench.Results;

/// <summary>What a policy's placements did to the fleet's capacity (virtual replay; docs/benchmarks/goodput.md).</summary>
/// <param name="PrefillTokensComputed">Σ over servers of prompt tokens computed (queried − served from cache), re-admissions
/// after a preemption included: the prefill work the fleet actually did.</param>
/// <param name="PrefillTokensPerOutputToken">That work per output token of the answered requests.</param>
/// <param name="Evictions">Σ cached KV blocks the servers evicted to make room.</param>
/// <param name="Groups">Prefix groups with at least two dispatched requests (a group = requests whose first
/// <see cref="GoodputResult.GroupTokens"/> prompt tokens are equal).</param>
/// <param name="GroupServersMean">Distinct servers one such group was sent to, mean over the groups.</param>
/// <param name="GroupOffHomeShare">Share of those groups' requests sent elsewhere than the group's most-used server.</param>
/// <param name="Rejected">Requests the picker answered 429 (shed or queue full): lost requests.</param>
public sealed record GoodputResult(
    [property: JsonPropertyName("prefill_tokens_computed")] long PrefillTokensComputed,
    [property: JsonPropertyName("prefill_tokens_per_output_token")] double PrefillTokensPerOutputToken,
    [property: JsonPropertyName("evictions")] long Evictions,
    [property: JsonPropertyName("groups")] int Groups,
    [property: JsonPropertyName("group_servers_mean")] double GroupServersMean,
    [property: JsonPropertyName("group_off_home_share")] double GroupOffHomeShare,
    [property: JsonPropertyName("rejected_429")] int Rejected)
{
    /// <summary>Prompt tokens that define a prefix group (256 blocks of 16).</summary>
    public const int GroupTokens = 4096;
}
