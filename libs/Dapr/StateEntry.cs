namespace InferenceMesh.Dapr;

/// <summary>A state value and the ETag of its stored version.</summary>
/// <param name="Key">The key as the app names it (without the store's key prefix).</param>
/// <param name="Value">The value.</param>
/// <param name="ETag">Opaque version string; pass it back to write only over this version.</param>
public sealed record StateEntry<T>(string Key, T Value, string? ETag);
