namespace InferenceMesh.VllmSim;

/// <summary>
/// A prompt as the KV cache sees it: its length in tokens and the chained hash of every full 16-token block
/// (block i's hash covers its tokens and block i−1's hash, so equal hashes mean equal prefixes). Token ids are not
/// stored; a prompt keeps its source (text, token ids or Mooncake hash ids) so KV events can recompute a block's tokens.
/// </summary>
public sealed partial class SimPrompt
{
    /// <summary>Tokens per KV block (vLLM's default block size).</summary>
    public const int BlockSize = 16;

    private readonly ulong[] _blockHashes;
    private TokenSource _source;

    /// <summary>Creates a prompt from its token count and the hashes of its full blocks
    /// (<c>tokenCount / 16</c> of them, or fewer if the tail is not cacheable).</summary>
    public SimPrompt(int tokenCount, ulong[] blockHashes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokenCount, 1);
        ArgumentNullException.ThrowIfNull(blockHashes);
        if (blockHashes.Length > tokenCount / BlockSize)
            throw new ArgumentException($"{blockHashes.Length} block hashes for {tokenCount} tokens", nameof(blockHashes));
        TokenCount = tokenCount;
        _blockHashes = blockHashes;
    }

    /// <summary>Prompt length in tokens.</summary>
    public int TokenCount { get; }

    /// <summary>Chained hashes of the full blocks.</summary>
    public ReadOnlySpan<ulong> BlockHashes => _blockHashes;

    /// <summary>Tokenizes <paramref name="text"/> with <see cref="SimTokenizer"/> and hashes its blocks.</summary>
    public static SimPrompt FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = Math.Max(1, SimTokenizer.CountTokens(text));
        var hashes = new ulong[tokens / BlockSize];
        var h = StableHash.ChainSeed;
        var span = text.AsSpan();
        for (var b = 0; b < hashes.Length; b++)
        {
            var baseChar = b * BlockSize * SimTokenizer.CharsPerToken;
            for (var t = 0; t < BlockSize; t++)
                h = StableHash.Combine(h, SimTokenizer.TokenAt(span, baseChar + (t * SimTokenizer.CharsPerToken)));
            hashes[b] = h;
        }
        return new SimPrompt(tokens, hashes) { _source = TokenSource.OfText(text) };
    }

    /// <summary>A prompt given as token ids (e.g. an OpenAI <c>prompt</c> array of integers).</summary>
    public static SimPrompt FromTokenIds(ReadOnlySpan<long> tokenIds)
    {
        if (tokenIds.IsEmpty)
            throw new ArgumentException("a prompt needs at least one token", nameof(tokenIds));
        var hashes = new ulong[tokenIds.Length / BlockSize];
        var h = StableHash.ChainSeed;
        for (var b = 0; b < hashes.Length; b++)
        {
            for (var t = 0; t < BlockSize; t++)
                h = StableHash.Combine(h, (ulong)tokenIds[(b * BlockSize) + t] ^ 0x8000_0000_0000_0000UL);
            hashes[b] = h;
        }
        return new SimPrompt(tokenIds.Length, hashes) { _source = TokenSource.OfTokenIds(tokenIds.ToArray()) };
    }

    /// <summary>
    /// A Mooncake trace request: <paramref name="inputLength"/> tokens where token p comes from
    /// <c>hash_ids[p / 512]</c>. Gives exactly the block hashes of <c>FromText(SimTokenizer.HashIdText(...))</c>
    /// without materialising the text.
    /// </summary>
    public static SimPrompt FromHashIds(ReadOnlySpan<long> hashIds, int inputLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputLength, 1);
        var hashes = new ulong[inputLength / BlockSize];
        var h = StableHash.ChainSeed;
        var idIndex = -1;
        ulong mixed = 0;
        for (var b = 0; b < hashes.Length; b++)
        {
            var p = b * BlockSize;
            if (p / SimTokenizer.TokensPerHashId != idIndex)
            {
                // 512 is a multiple of 16, so a block never straddles two hash ids.
                idIndex = p / SimTokenizer.TokensPerHashId;
                mixed = StableHash.Mix((ulong)SimTokenizer.HashIdFor(hashIds, p));
            }
            var offset = p % SimTokenizer.TokensPerHashId;
            for (var t = 0; t < BlockSize; t++)
                h = StableHash.Combine(h, SimTokenizer.HashIdTokenIdFast(mixed, offset + t));
            hashes[b] = h;
        }
        return new SimPrompt(inputLength, hashes) { _source = TokenSource.OfHashIds(hashIds.ToArray()) };
    }

    /// <summary>A prompt of <paramref name="tokenCount"/> tokens shared by nobody else (unique content keyed by
    /// <paramref name="uniqueKey"/>), for synthetic workloads without prefix information.</summary>
    public static SimPrompt Unique(ulong uniqueKey, int tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokenCount, 1);
        var hashes = new ulong[tokenCount / BlockSize];
        var h = StableHash.Combine(StableHash.ChainSeed, StableHash.Mix(uniqueKey) | 1UL);
        for (var b = 0; b < hashes.Length; b++)
        {
            h = StableHash.Combine(h, (ulong)b);
            hashes[b] = h;
        }
        return new SimPrompt(tokenCount, hashes);
    }
}
