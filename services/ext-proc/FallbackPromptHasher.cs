using System.Text;

namespace InferenceMesh.ExtProc;

/// <summary>Block chain over 64-byte blocks (16 tokens × 4 chars), each hash folding in the previous one and seeded
/// with the model, at most 256 blocks (GIE's approximate prefix scheme). FNV-1a 64 stands in until libs/Prefix's
/// hasher is wired; it is stable across processes, which is all the shared index needs.</summary>
internal sealed class FallbackPromptHasher : IPromptHasher
{
    public const int BlockBytes = 64;
    public const int MaxBlocks = 256;

    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public ulong[] Hash(string model, ReadOnlySpan<byte> prompt)
    {
        var blocks = Math.Min(prompt.Length / BlockBytes, MaxBlocks);
        if (blocks == 0)
            return [];
        var seed = Offset;
        Span<byte> name = stackalloc byte[256];
        var n = Encoding.UTF8.GetBytes(model.AsSpan(0, Math.Min(model.Length, 64)), name);
        seed = Fold(seed, name[..n]);

        var result = new ulong[blocks];
        var previous = seed;
        Span<byte> prev = stackalloc byte[8];
        for (var i = 0; i < blocks; i++)
        {
            var h = Fold(Offset, prompt.Slice(i * BlockBytes, BlockBytes));
            BitConverter.TryWriteBytes(prev, previous);
            h = Fold(h, prev);
            result[i] = h;
            previous = h;
        }
        return result;
    }

    private static ulong Fold(ulong hash, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            hash ^= b;
            hash *= Prime;
        }
        return hash;
    }
}
