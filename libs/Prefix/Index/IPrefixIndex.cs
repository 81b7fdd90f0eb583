namespace InferenceMesh.Prefix.Index;

/// <summary>Which endpoints hold which block-hash chains, per model, bounded per endpoint by an LRU capacity.
/// Implementations: memory (one process), redis (shared, one round trip per call), dapr (any Dapr state store).</summary>
public interface IPrefixIndex
{
    /// <summary>Backend name: <c>memory</c>, <c>redis</c> or <c>dapr</c>.</summary>
    string Backend { get; }

    /// <summary>Leading blocks of <paramref name="hashes"/> each candidate holds, aligned with <paramref name="candidates"/>.</summary>
    ValueTask<int[]> MatchAsync(string model, ReadOnlyMemory<ulong> hashes, IReadOnlyList<string> candidates, CancellationToken cancellationToken);

    /// <summary>Marks <paramref name="endpoint"/> as holding the chain; the blocks become its most recent (shallow blocks
    /// are kept longest). Evicts its least recent blocks beyond its capacity.</summary>
    ValueTask RecordAsync(string model, string endpoint, ReadOnlyMemory<ulong> hashes, CancellationToken cancellationToken);

    /// <summary><see cref="MatchAsync"/> then <see cref="RecordAsync"/> for the chosen <paramref name="endpoint"/>, in one call
    /// (one round trip on redis). The match sees the index as it was before the record.</summary>
    ValueTask<int[]> MatchAndRecordAsync(string model, ReadOnlyMemory<ulong> hashes, IReadOnlyList<string> candidates, string endpoint, CancellationToken cancellationToken);

    /// <summary>Forgets everything about an endpoint (all models) and its capacity; returns the entries removed.</summary>
    ValueTask<long> PurgeEndpointAsync(string endpoint, CancellationToken cancellationToken);

    /// <summary>Sets an endpoint's capacity in blocks (e.g. its engine's KV blocks); applies from its next record.</summary>
    ValueTask SetCapacityAsync(string endpoint, int capacityBlocks, CancellationToken cancellationToken);

    /// <summary>An endpoint's capacity in blocks as its next record would use it: the value last set by
    /// <see cref="SetCapacityAsync"/>, else <see cref="PrefixIndexOptions.DefaultCapacity"/>.</summary>
    ValueTask<int> GetCapacityAsync(string endpoint, CancellationToken cancellationToken);

    /// <summary>Entries per endpoint, evictions and (where the backend can tell) memory.</summary>
    ValueTask<PrefixIndexStats> StatsAsync(CancellationToken cancellationToken);

    /// <summary>True when the backing store is reachable (always for memory).</summary>
    bool IsAvailable { get; }
}
