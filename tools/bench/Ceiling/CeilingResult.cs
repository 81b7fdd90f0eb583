using System.Text.Json.Serialization;

namespace InferenceMesh.Bench.Ceiling;

/// <summary>Prefix-reuse ceiling of a trace under one cache model.</summary>
/// <param name="Cache">"infinite" or "pooled-lru".</param>
/// <param name="CapacityBlocks">Cache capacity in blocks; 0 = unbounded.</param>
/// <param name="BlockTokens">Block granularity in tokens.</param>
/// <param name="Requests">Requests counted.</param>
/// <param name="Blocks">Blocks across all prompts.</param>
/// <param name="HitBlocks">Leading blocks found in the cache.</param>
/// <param name="BlockReuse">HitBlocks / Blocks.</param>
/// <param name="TokenReuse">Prompt tokens in hit blocks / prompt tokens.</param>
/// <param name="Evictions">Blocks evicted (LRU only).</param>
public sealed record CeilingResult(
    [property: JsonPropertyName("cache")] string Cache,
    [property: JsonPropertyName("capacity_blocks")] long CapacityBlocks,
    [property: JsonPropertyName("block_tokens")] int BlockTokens,
    [property: JsonPropertyName("requests")] int Requests,
    [property: JsonPropertyName("blocks")] long Blocks,
    [property: JsonPropertyName("hit_blocks")] long HitBlocks,
    [property: JsonPropertyName("block_reuse")] double BlockReuse,
    [property: JsonPropertyName("token_reuse")] double TokenReuse,
    [property: JsonPropertyName("evictions")] long Evictions);
