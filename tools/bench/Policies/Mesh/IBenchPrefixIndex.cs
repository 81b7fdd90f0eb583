namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>The prefix index a mesh policy consults: the approximate LRU (<see cref="LruPrefixIndex"/>) or the exact
/// sets fed by the servers' KV events (<see cref="ExactKvIndex"/>).</summary>
internal interface IBenchPrefixIndex
{
    /// <summary>Blocks matched per request at most.</summary>
    int MaxBlocks { get; }

    /// <summary>Leading blocks of <paramref name="hashes"/> the endpoint holds.</summary>
    int Match(int endpoint, IReadOnlyList<ulong> hashes);

    /// <summary>The picker sent the prompt to <paramref name="endpoint"/>.</summary>
    void Record(int endpoint, IReadOnlyList<ulong> hashes);
}
