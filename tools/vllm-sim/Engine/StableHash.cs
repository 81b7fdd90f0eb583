namespace InferenceMesh.VllmSim;

/// <summary>A fixed 64-bit hash, identical in every process (never <c>string.GetHashCode</c>, which is randomised).</summary>
public static class StableHash
{
    /// <summary>Seed of every block-hash chain (the "parent" of the first block).</summary>
    public const ulong ChainSeed = 0x6A09E667F3BCC908UL;

    /// <summary>The murmur3 64-bit finaliser: a bijective avalanche mix.</summary>
    public static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        x ^= x >> 33;
        return x;
    }

    /// <summary>Order-sensitive combination of a running hash with one more value.</summary>
    public static ulong Combine(ulong h, ulong v) => Mix(h ^ (v + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2)));

    /// <summary>Hash of a string's UTF-16 code units (stable across processes and platforms).</summary>
    public static ulong OfString(string? s)
    {
        var h = 0xCBF29CE484222325UL;
        if (s is null)
            return h;
        foreach (var c in s)
            h = (h ^ c) * 0x100000001B3UL;
        return Mix(h ^ (ulong)s.Length);
    }
}
