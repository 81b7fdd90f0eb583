namespace InferenceMesh.Prefix.Index;

/// <summary>A snapshot of the index.</summary>
/// <param name="Backend">memory, redis or dapr.</param>
/// <param name="TotalEntries">(model, endpoint, block) entries held.</param>
/// <param name="Evictions">Blocks evicted by capacity since the store was created (redis: across all replicas).</param>
/// <param name="MemoryBytes">Bytes used by the index's keys where the backend can measure it (redis MEMORY USAGE), else null.</param>
/// <param name="Endpoints">Per model and endpoint.</param>
public sealed record PrefixIndexStats(string Backend, long TotalEntries, long Evictions, long? MemoryBytes, IReadOnlyList<PrefixEndpointStats> Endpoints);

/// <summary>One endpoint's share of the index for one model.</summary>
public sealed record PrefixEndpointStats(string Model, string Endpoint, long Entries, int Capacity, long? MemoryBytes);
