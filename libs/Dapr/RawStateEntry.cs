namespace InferenceMesh.Dapr;

/// <summary>A state value as the JSON bytes the store holds, with its ETag.</summary>
/// <param name="Key">The key as the app names it.</param>
/// <param name="Data">The stored JSON bytes; empty when the key does not exist.</param>
/// <param name="ETag">Opaque version string; null when the key does not exist.</param>
/// <param name="Error">Per-key error of a bulk get, else null.</param>
public sealed record RawStateEntry(string Key, ReadOnlyMemory<byte> Data, string? ETag, string? Error = null)
{
    /// <summary>True when the key held a value.</summary>
    public bool Exists => ETag is not null || !Data.IsEmpty;
}
