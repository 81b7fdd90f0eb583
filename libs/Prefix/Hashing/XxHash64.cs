using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace InferenceMesh.Prefix.Hashing;

/// <summary>XXH64 (xxHash, 64-bit) written from the xxHash specification; identical on every process and machine,
/// checked against xxhsum's published sanity vectors.</summary>
public static class XxHash64
{
    private const ulong Prime1 = 0x9E3779B185EBCA87UL;
    private const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong Prime3 = 0x165667B19E3779F9UL;
    private const ulong Prime4 = 0x85EBCA77C2B2AE63UL;
    private const ulong Prime5 = 0x27D4EB2F165667C5UL;

    /// <summary>XXH64 of <paramref name="data"/> with <paramref name="seed"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        var length = data.Length;
        ulong acc;
        if (length >= 32)
        {
            var v1 = seed + Prime1 + Prime2;
            var v2 = seed + Prime2;
            var v3 = seed;
            var v4 = seed - Prime1;
            do
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(data));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(data[8..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(data[16..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(data[24..]));
                data = data[32..];
            }
            while (data.Length >= 32);
            acc = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7)
                + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
            acc = MergeRound(acc, v1);
            acc = MergeRound(acc, v2);
            acc = MergeRound(acc, v3);
            acc = MergeRound(acc, v4);
        }
        else
        {
            acc = seed + Prime5;
        }

        acc += (ulong)length;
        return Finish(acc, data);
    }

    /// <summary>XXH64 of <paramref name="data"/> followed by the 8 little-endian bytes of <paramref name="suffix"/>,
    /// without concatenating them (the prefix-chain step).</summary>
    public static ulong HashWithSuffix(ReadOnlySpan<byte> data, ulong suffix, ulong seed = 0)
    {
        // Blocks are small (a few hundred bytes at most), so one stack copy is cheaper than a streaming state.
        const int StackLimit = 1024;
        var total = data.Length + 8;
        if (total <= StackLimit)
        {
            Span<byte> buffer = stackalloc byte[total];
            data.CopyTo(buffer);
            BinaryPrimitives.WriteUInt64LittleEndian(buffer[data.Length..], suffix);
            return Hash(buffer, seed);
        }
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(total);
        try
        {
            data.CopyTo(rented);
            BinaryPrimitives.WriteUInt64LittleEndian(rented.AsSpan(data.Length), suffix);
            return Hash(rented.AsSpan(0, total), seed);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong acc, ulong lane) => BitOperations.RotateLeft(acc + (lane * Prime2), 31) * Prime1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MergeRound(ulong acc, ulong v) => ((acc ^ Round(0, v)) * Prime1) + Prime4;

    private static ulong Finish(ulong acc, ReadOnlySpan<byte> rest)
    {
        while (rest.Length >= 8)
        {
            acc ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(rest));
            acc = (BitOperations.RotateLeft(acc, 27) * Prime1) + Prime4;
            rest = rest[8..];
        }
        if (rest.Length >= 4)
        {
            acc ^= BinaryPrimitives.ReadUInt32LittleEndian(rest) * Prime1;
            acc = (BitOperations.RotateLeft(acc, 23) * Prime2) + Prime3;
            rest = rest[4..];
        }
        foreach (var b in rest)
        {
            acc ^= b * Prime5;
            acc = BitOperations.RotateLeft(acc, 11) * Prime1;
        }
        acc ^= acc >> 33;
        acc *= Prime2;
        acc ^= acc >> 29;
        acc *= Prime3;
        acc ^= acc >> 32;
        return acc;
    }
}
