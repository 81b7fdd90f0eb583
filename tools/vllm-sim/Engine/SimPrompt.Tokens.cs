namespace InferenceMesh.VllmSim;

public sealed partial class SimPrompt
{
    /// <summary>Writes the token ids of full block <paramref name="block"/> (16 of them) into <paramref name="destination"/>;
    /// false for a prompt built from block hashes alone, whose tokens are unknown.</summary>
    public bool TryWriteBlockTokens(int block, Span<ulong> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, BlockSize);
        var first = block * BlockSize;
        if (block < 0 || first + BlockSize > TokenCount || _source.Kind == TokenSourceKind.None)
            return false;
        for (var t = 0; t < BlockSize; t++)
            destination[t] = _source.TokenAt(first + t);
        return true;
    }

    private enum TokenSourceKind
    {
        None = 0,
        Text,
        TokenIds,
        HashIds,
    }

    /// <summary>Where a prompt's tokens come from; a reference to what the request already held, no token array.</summary>
    private readonly struct TokenSource
    {
        private readonly string? _text;
        private readonly long[]? _ids;

        private TokenSource(TokenSourceKind kind, string? text, long[]? ids)
        {
            Kind = kind;
            _text = text;
            _ids = ids;
        }

        public TokenSourceKind Kind { get; }

        public static TokenSource OfText(string text) => new(TokenSourceKind.Text, text, null);

        public static TokenSource OfTokenIds(long[] ids) => new(TokenSourceKind.TokenIds, null, ids);

        public static TokenSource OfHashIds(long[] hashIds) => new(TokenSourceKind.HashIds, null, hashIds);

        public ulong TokenAt(int index) => Kind switch
        {
            TokenSourceKind.Text => SimTokenizer.TokenAt(_text!, index * SimTokenizer.CharsPerToken),
            TokenSourceKind.TokenIds => (ulong)_ids![index],
            _ => SimTokenizer.HashIdTokenId(_ids!, index),
        };
    }
}
