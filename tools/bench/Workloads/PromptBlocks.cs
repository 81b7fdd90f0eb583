namespace InferenceMesh.Bench.Workloads;

/// <summary>
/// Turns prompt segments into tokens and 16-token block hash chains. A token is a pure function of its segment key and
/// offset, so equal prefixes give equal tokens and equal chains everywhere (policies, simulator, ceiling).
/// </summary>
public static class PromptBlocks
{
    /// <summary>vLLM's KV block size.</summary>
    public const int BlockTokens = 16;

    /// <summary>Vocabulary the stand-in tokens are drawn from (Qwen2.5 has ≈152k).</summary>
    public const int Vocabulary = 151_000;

    /// <summary>The token at <paramref name="offset"/> of a segment with key <paramref name="key"/>.</summary>
    public static int Token(ulong key, int offset) =>
        (int)(Mix(key ^ ((ulong)(uint)offset * 0x9E3779B97F4A7C15UL)) % Vocabulary);

    /// <summary>Writes the prompt's tokens; <paramref name="destination"/> must hold the prompt length.</summary>
    public static void WriteTokens(IReadOnlyList<PromptSegment> segments, Span<int> destination)
    {
        var at = 0;
        for (var s = 0; s < segments.Count; s++)
        {
            var seg = segments[s];
            for (var i = 0; i < seg.Tokens; i++)
            {
                destination[at++] = Token(seg.Key, i);
            }
        }
    }

    /// <summary>The prompt's tokens as a new array.</summary>
    public static int[] Tokens(IReadOnlyList<PromptSegment> segments)
    {
        var n = 0;
        for (var s = 0; s < segments.Count; s++)
        {
            n += segments[s].Tokens;
        }

        var tokens = new int[n];
        WriteTokens(segments, tokens);
        return tokens;
    }

    /// <summary>
    /// Chained hashes of the prompt's FULL 16-token blocks (vLLM caches only full blocks); hash i covers blocks 0..i.
    /// Computed from (key, offset) runs, without materialising tokens. A non-zero <paramref name="salt"/> (the model
    /// or adapter) starts a different chain, as a prefix cached for one adapter is useless to another.
    /// </summary>
    public static ulong[] BlockHashes(IReadOnlyList<PromptSegment> segments, ulong salt = 0)
    {
        var total = 0;
        for (var s = 0; s < segments.Count; s++)
        {
            total += segments[s].Tokens;
        }

        var blocks = total / BlockTokens;
        var hashes = new ulong[blocks];
        var seg = 0;
        var offset = 0;
        var prev = salt == 0 ? 0x5BD1E995UL : Mix(0x5BD1E995UL ^ salt);
        for (var b = 0; b < blocks; b++)
        {
            var h = prev;
            var need = BlockTokens;
            while (need > 0)
            {
                while (segments[seg].Tokens - offset == 0)
                {
                    seg++;
                    offset = 0;
                }

                var take = Math.Min(need, segments[seg].Tokens - offset);
                h = Mix(h ^ Mix(segments[seg].Key + 0x632BE59BD9B4E019UL));
                h = Mix(h ^ ((ulong)(uint)offset << 32 | (uint)take));
                offset += take;
                need -= take;
            }

            hashes[b] = h;
            prev = h;
        }

        return hashes;
    }

    /// <summary>A stable salt for a model name (0 for the base model, given as empty).</summary>
    public static ulong ModelSalt(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Length == 0)
        {
            return 0;
        }

        var h = 0xCBF29CE484222325UL;
        foreach (var c in model)
        {
            h = (h ^ c) * 0x100000001B3UL;
        }

        return Mix(h) | 1UL;
    }

    /// <summary>SplitMix64 finaliser: a cheap, well-mixed 64-bit bijection.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
