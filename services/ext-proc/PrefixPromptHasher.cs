using InferenceMesh.Prefix.Hashing;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc;

/// <summary>The prefix chain from libs/Prefix (XXH64 over 64-character blocks, seeded with the target model).</summary>
internal sealed class PrefixPromptHasher : IPromptHasher
{
    private readonly PrefixHashOptions _options;

    public PrefixPromptHasher(IOptions<PrefixHashOptions> options) => _options = options.Value;

    /// <summary>Bytes past this cannot reach another block (a character is at most 4 UTF-8 bytes).</summary>
    public int MaxPromptBytes => (int)Math.Min(int.MaxValue, (long)_options.MaxBlocks * _options.BlockCharacters * 4);

    public ulong[] Hash(string model, ReadOnlySpan<byte> prompt)
    {
        if (prompt.Length < _options.BlockCharacters)
            return [];
        var rented = System.Buffers.ArrayPool<ulong>.Shared.Rent(_options.MaxBlocks);
        try
        {
            var n = PrefixHasher.Compute(prompt, PrefixHasher.ModelSeed(model), rented.AsSpan(0, _options.MaxBlocks), _options.BlockCharacters);
            return rented.AsSpan(0, n).ToArray();
        }
        finally
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(rented);
        }
    }
}
