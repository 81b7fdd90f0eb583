using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Bench.Ceiling;

/// <summary>
/// How much of a trace's prompt content a prefix cache could ever serve. A request's hit is its LEADING run of blocks
/// already in the cache (prefix caching cannot use a block whose predecessor is gone); then all its blocks are
/// touched, tail first, so under LRU the tail of a prompt is evicted before its head, as vLLM frees blocks.
/// </summary>
public static class ReuseCeiling
{
    /// <summary>One prompt as a chain of block ids with the tokens each covers.</summary>
    public readonly record struct Prompt(ulong[] Blocks, int[] BlockTokens);

    /// <summary>Mooncake prompts at 512-token hash-id granularity (the unit of trace_stats.csv).</summary>
    public static IEnumerable<Prompt> FromHashIds(IEnumerable<(int InputLength, long[] HashIds)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var (input, ids) in rows)
        {
            var blocks = new ulong[ids.Length];
            var tokens = new int[ids.Length];
            var left = input;
            for (var i = 0; i < ids.Length; i++)
            {
                blocks[i] = (ulong)ids[i];
                tokens[i] = Math.Clamp(left, 0, MooncakeReader.HashBlockTokens);
                left -= tokens[i];
            }

            yield return new Prompt(blocks, tokens);
        }
    }

    /// <summary>Any workload at 16-token granularity: chained hashes of full blocks, as the simulated servers cache them.</summary>
    public static IEnumerable<Prompt> FromWorkload(Workload workload)
    {
        ArgumentNullException.ThrowIfNull(workload);
        foreach (var r in workload.Requests)
        {
            var hashes = PromptBlocks.BlockHashes(r.Segments);
            var tokens = new int[hashes.Length];
            Array.Fill(tokens, PromptBlocks.BlockTokens);
            yield return new Prompt(hashes, tokens);
        }
    }

    /// <summary>Computes the ceiling. <paramref name="capacityBlocks"/> ≤ 0 = one infinite cache.</summary>
    public static CeilingResult Compute(IEnumerable<Prompt> prompts, long capacityBlocks, int blockTokens, int promptTokensTotal = 0)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var cache = new LruBlockSet(capacityBlocks);
        long blocks = 0, hits = 0, hitTokens = 0, tokens = 0;
        var requests = 0;
        foreach (var p in prompts)
        {
            requests++;
            var leading = true;
            for (var i = 0; i < p.Blocks.Length; i++)
            {
                blocks++;
                tokens += p.BlockTokens[i];
                if (leading && cache.Contains(p.Blocks[i]))
                {
                    hits++;
                    hitTokens += p.BlockTokens[i];
                }
                else
                {
                    leading = false;
                }
            }

            for (var i = p.Blocks.Length - 1; i >= 0; i--)
            {
                cache.Touch(p.Blocks[i]);
            }
        }

        var denomTokens = promptTokensTotal > 0 ? promptTokensTotal : tokens;
        return new CeilingResult(
            capacityBlocks > 0 ? "pooled-lru" : "infinite",
            Math.Max(0, capacityBlocks),
            blockTokens,
            requests,
            blocks,
            hits,
            blocks == 0 ? 0 : (double)hits / blocks,
            denomTokens == 0 ? 0 : (double)hitTokens / denomTokens,
            cache.Evictions);
    }
}
