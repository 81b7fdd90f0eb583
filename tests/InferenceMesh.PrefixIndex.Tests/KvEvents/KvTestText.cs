using System.Text;
using InferenceMesh.Prefix.Hashing;

namespace InferenceMesh.PrefixIndex.Tests.KvEvents;

/// <summary>Prompts and their two views: the token ids a simulator-style engine publishes (4 UTF-16 characters packed
/// into each id, high character first) and the prompt-block chain ext-proc computes from the text.</summary>
internal static class KvTestText
{
    public const string Model = "test-model";

    /// <summary>A prompt of <paramref name="blocks"/> 64-character blocks, distinct per <paramref name="seed"/>.</summary>
    public static string Prompt(int seed, int blocks)
    {
        var sb = new StringBuilder(blocks * 64);
        for (var i = 0; sb.Length < blocks * 64; i++)
            sb.Append(' ').Append((char)('a' + ((seed + i) % 26))).Append(seed).Append('-').Append(i);
        return sb.ToString(0, blocks * 64);
    }

    /// <summary>Token ids of block <paramref name="block"/> of <paramref name="text"/> (16 tokens).</summary>
    public static ulong[] BlockTokens(string text, int block)
    {
        var tokens = new ulong[16];
        for (var t = 0; t < 16; t++)
        {
            ulong id = 0;
            for (var c = 0; c < 4; c++)
                id = (id << 16) | text[(block * 64) + (t * 4) + c];
            tokens[t] = id;
        }
        return tokens;
    }

    /// <summary>Token ids of blocks [from, to).</summary>
    public static ulong[] Tokens(string text, int from, int to)
    {
        var all = new List<ulong>();
        for (var b = from; b < to; b++)
            all.AddRange(BlockTokens(text, b));
        return [.. all];
    }

    /// <summary>The prompt-block chain of <paramref name="text"/>, as ext-proc hashes it.</summary>
    public static ulong[] PromptHashes(string text)
    {
        var dest = new ulong[text.Length / 64];
        var n = PrefixHasher.Compute(text, PrefixHasher.ModelSeed(Model), dest);
        return dest[..n];
    }

    /// <summary>Engine hashes: anything distinct (the engine's own, unrelated to ours).</summary>
    public static ulong[] EngineHashes(int seed, int blocks)
    {
        var h = new ulong[blocks];
        for (var i = 0; i < blocks; i++)
            h[i] = (0xE000_0000_0000_0000UL | ((ulong)seed << 20)) + (ulong)i;
        return h;
    }
}
