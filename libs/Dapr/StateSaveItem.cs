using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace InferenceMesh.Dapr;

/// <summary>One key to save: its value already serialized to JSON, plus write options.</summary>
/// <param name="Key">The key.</param>
/// <param name="JsonValue">The value as UTF-8 JSON (any JSON value).</param>
/// <param name="Options">ETag, TTL, concurrency, consistency.</param>
public sealed record StateSaveItem(string Key, ReadOnlyMemory<byte> JsonValue, StateWriteOptions? Options = null)
{
    /// <summary>Serializes <paramref name="value"/> with its source-generated type info.</summary>
    public static StateSaveItem Create<T>(string key, T value, JsonTypeInfo<T> typeInfo, StateWriteOptions? options = null) =>
        new(key, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), options);
}
