using System.Text;

namespace InferenceMesh.VllmSim;

/// <summary>
/// A deterministic tokenizer stand-in: every 4 UTF-16 characters are one token (the last token may be shorter), and a
/// token's id is its characters packed into 64 bits. Stable across processes, and prefix-preserving: appending text never
/// changes earlier full tokens, which is the property prefix caching depends on. 4 characters per token is also the
/// ratio the GIE approximate prefix index assumes (16 tokens = 64 characters per block).
/// </summary>
public static class SimTokenizer
{
    /// <summary>Characters per token.</summary>
    public const int CharsPerToken = 4;

    /// <summary>Tokens in one Mooncake <c>hash_id</c> block.</summary>
    public const int TokensPerHashId = 512;

    /// <summary>Number of tokens <paramref name="text"/> tokenizes to.</summary>
    public static int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return (text.Length + CharsPerToken - 1) / CharsPerToken;
    }

    /// <summary>Token id of the token starting at character <paramref name="start"/>.</summary>
    public static ulong TokenAt(ReadOnlySpan<char> text, int start)
    {
        ulong id = 0;
        var end = Math.Min(text.Length, start + CharsPerToken);
        for (var i = start; i < end; i++)
            id = (id << 16) | text[i];
        // Mark short (final) tokens so "ab" and "\0\0ab" differ.
        return end - start == CharsPerToken ? id : id | ((ulong)(end - start) << 62);
    }

    /// <summary>The token ids of <paramref name="text"/> (for tests and small prompts; the engine never needs them).</summary>
    public static ulong[] Tokenize(string text)
    {
        var ids = new ulong[CountTokens(text)];
        for (var t = 0; t < ids.Length; t++)
            ids[t] = TokenAt(text, t * CharsPerToken);
        return ids;
    }

    /// <summary>The 4 characters of token <paramref name="position"/> (0..511) of Mooncake block <paramref name="hashId"/>:
    /// a space and three lowercase letters, so generated prompts look like text.</summary>
    public static void HashIdTokenChars(long hashId, int position, Span<char> dest)
    {
        var m = StableHash.Combine(StableHash.Mix((ulong)hashId), (ulong)position);
        dest[0] = ' ';
        dest[1] = (char)('a' + (int)(m % 26));
        dest[2] = (char)('a' + (int)((m >> 16) % 26));
        dest[3] = (char)('a' + (int)((m >> 32) % 26));
    }

    /// <summary>Token id of <see cref="HashIdTokenChars"/> without building the characters;
    /// <paramref name="mixedHashId"/> is <c>StableHash.Mix((ulong)hashId)</c>, computed once per id.</summary>
    internal static ulong HashIdTokenIdFast(ulong mixedHashId, int position)
    {
        var m = StableHash.Combine(mixedHashId, (ulong)position);
        return (0x20UL << 48) | (('a' + (m % 26)) << 32) | (('a' + ((m >> 16) % 26)) << 16) | ('a' + ((m >> 32) % 26));
    }

    /// <summary>The hash id that covers token <paramref name="tokenIndex"/>; positions past the listed ids (a trace whose
    /// <c>hash_ids</c> is shorter than <c>input_length</c> needs) get ids derived from the last one.</summary>
    public static long HashIdFor(ReadOnlySpan<long> hashIds, int tokenIndex)
    {
        var k = tokenIndex / TokensPerHashId;
        if (k < hashIds.Length)
            return hashIds[k];
        var last = hashIds.Length == 0 ? 0L : hashIds[^1];
        return (long)StableHash.Combine((ulong)last, (ulong)k);
    }

    /// <summary>Token id of token <paramref name="tokenIndex"/> of a prompt built from Mooncake hash ids.</summary>
    public static ulong HashIdTokenId(ReadOnlySpan<long> hashIds, int tokenIndex)
    {
        Span<char> c = stackalloc char[CharsPerToken];
        HashIdTokenChars(HashIdFor(hashIds, tokenIndex), tokenIndex % TokensPerHashId, c);
        return TokenAt(c, 0);
    }

    /// <summary>Prompt text for a Mooncake request: exactly <paramref name="inputLength"/> tokens
    /// (<c>4 × inputLength</c> characters); the same id gives the same 512 tokens everywhere, and the text tokenizes to
    /// the same block hashes as <see cref="SimPrompt.FromHashIds"/>.</summary>
    public static string HashIdText(ReadOnlySpan<long> hashIds, int inputLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputLength);
        var sb = new StringBuilder(inputLength * CharsPerToken);
        AppendHashIdText(sb, hashIds, inputLength);
        return sb.ToString();
    }

    /// <summary>Appends the text of <see cref="HashIdText"/> to <paramref name="sb"/>.</summary>
    public static void AppendHashIdText(StringBuilder sb, ReadOnlySpan<long> hashIds, int inputLength)
    {
        ArgumentNullException.ThrowIfNull(sb);
        Span<char> c = stackalloc char[CharsPerToken];
        for (var t = 0; t < inputLength; t++)
        {
            HashIdTokenChars(HashIdFor(hashIds, t), t % TokensPerHashId, c);
            sb.Append(c);
        }
    }

    /// <summary>Deterministic filler text for generated token <paramref name="index"/> of a completion (4 characters).</summary>
    public static string FillerToken(int index) => Filler[index % Filler.Length];

    private static readonly string[] Filler =
    [
        " the", " sim", "ulat", "ed m", "odel", " say", "s: l", "orem", " ips", "um d", "olor", " sit", " ame", "t, c",
        "onse", "ctet", "ur a", "dipi", "scin", "g el", "it. ",
    ];
}
