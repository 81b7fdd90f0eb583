using System.ComponentModel.DataAnnotations;

namespace InferenceMesh.Prefix.Hashing;

/// <summary>How prompts are cut into blocks; every process that hashes or matches must use the same values.</summary>
public sealed record PrefixHashOptions
{
    /// <summary>Characters (Unicode scalar values) per block.</summary>
    [Range(1, 65536)]
    public int BlockCharacters { get; init; } = PrefixHasher.DefaultBlockCharacters;

    /// <summary>Blocks hashed (and matched) per request at most.</summary>
    [Range(1, 65536)]
    public int MaxBlocks { get; init; } = PrefixHasher.DefaultMaxBlocks;
}
