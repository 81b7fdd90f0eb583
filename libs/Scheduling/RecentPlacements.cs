namespace InferenceMesh.Scheduling;

/// <summary>Where this replica last sent each prompt prefix: every <see cref="Stride"/>-th block hash of a dispatched prompt
/// (and its last one) → the endpoint, in a direct-mapped table of fixed size, so recording and crediting allocate nothing.
/// Block hashes are chained, so a hit on block <c>i</c> names the whole prefix up to it. The prefix match is made once, when
/// a request arrives; under overload it then waits in the queue while requests sharing its prefix are dispatched, and its
/// match misses all of them — questions on one document, queued together, would otherwise spread over every server
/// (docs/benchmarks/goodput.md). At every pick this table is matched again, so a request released from the queue sees the
/// placements made while it waited; the pick credits an endpoint with the longer of the two matches.
/// An entry ages with the uncached blocks sent to its endpoint after it (<see cref="EndpointState.PlacedBlocks"/>): past
/// <paramref name="retention"/> × the server's KV cache (<c>num_gpu_blocks × block_size</c> tokens) the server has evicted
/// the prefix for them, and the entry credits nothing. Without it, an agent whose next step waits minutes in a loaded
/// server's queue is held to that server by a context the server no longer has (docs/benchmarks/goodput.md, "Placements age with
/// the server's cache"). A later placement of the same prefix renews the entry (a hit refreshes the server's LRU too); a colliding one
/// overwrites it. Entries do not age while the server's cache size is unknown, nor with <paramref name="retention"/> 0.
/// The other scheduler replicas' placements are recorded too, from their dispatch events (<see cref="RecordSample"/>), and
/// count on the endpoints' clocks: every replica's table follows the whole fleet's placements.</summary>
/// <param name="blockTokens">Tokens per hashed block (<c>PredictedTtft:PrefixBlockTokens</c>).</param>
/// <param name="retention">The server's cache size multiple a placement is credited for (<c>Scheduler:PlacementRetention</c>).</param>
internal sealed class RecentPlacements(int blockTokens, double retention)
{
    /// <summary>Blocks between two recorded hashes (256 tokens of 16): a prompt of 32k tokens costs 128 table writes.</summary>
    public const int Stride = 16;

    private const int Slots = 1 << 16;
    private readonly ulong[] _keys = new ulong[Slots];
    private readonly EndpointState?[] _endpoints = new EndpointState?[Slots];
    private readonly long[] _placedAt = new long[Slots];
    private readonly int _blockTokens = Math.Max(1, blockTokens);

    /// <summary>Records that the first <paramref name="blocks"/> blocks of <paramref name="hashes"/> went to <paramref name="endpoint"/>,
    /// <paramref name="uncachedBlocks"/> of them not credited as cached: they advance the endpoint's clock first.</summary>
    public void Record(IReadOnlyList<ulong>? hashes, int blocks, EndpointState endpoint, int uncachedBlocks)
    {
        endpoint.PlacedBlocks += Math.Max(0, uncachedBlocks);
        var n = hashes is null ? 0 : Math.Min(hashes.Count, blocks);
        for (var i = Stride - 1; i < n; i += Stride)
            Put(hashes![i], endpoint);
        if (n > 0)
            Put(hashes![n - 1], endpoint);
    }

    /// <summary>The hashes <see cref="Record"/> writes for the first <paramref name="blocks"/> blocks of <paramref name="hashes"/>
    /// (every <see cref="Stride"/>-th and the last): what another replica needs to record the same placement.</summary>
    public static ulong[] Sample(IReadOnlyList<ulong>? hashes, int blocks)
    {
        var n = hashes is null ? 0 : Math.Min(hashes.Count, blocks);
        if (n == 0)
            return [];
        var last = n % Stride == 0 ? 0 : 1;
        var sample = new ulong[(n / Stride) + last];
        var k = 0;
        for (var i = Stride - 1; i < n; i += Stride)
            sample[k++] = hashes![i];
        if (last == 1)
            sample[k] = hashes![n - 1];
        return sample;
    }

    /// <summary>Records another replica's placement from its <see cref="Sample"/> and its uncached blocks, as <see cref="Record"/> does.</summary>
    public void RecordSample(IReadOnlyList<ulong> sample, EndpointState endpoint, int uncachedBlocks)
    {
        endpoint.PlacedBlocks += Math.Max(0, uncachedBlocks);
        foreach (var hash in sample)
            Put(hash, endpoint);
    }

    /// <summary>Raises <paramref name="matched"/>[k] to the longest recorded prefix of <paramref name="hashes"/> last sent to
    /// candidate k.</summary>
    public void Credit(IReadOnlyList<ulong>? hashes, int blocks, EndpointState[] endpoints, ReadOnlySpan<int> candidates, Span<int> matched)
    {
        var n = hashes is null ? 0 : Math.Min(hashes.Count, blocks);
        for (var i = Stride - 1; i < n; i += Stride)
            Credit(hashes![i], i + 1, endpoints, candidates, matched);
        if (n > 0)
            Credit(hashes![n - 1], n, endpoints, candidates, matched);
    }

    private void Credit(ulong hash, int length, EndpointState[] endpoints, ReadOnlySpan<int> candidates, Span<int> matched)
    {
        var slot = (int)(hash % Slots);
        if (_endpoints[slot] is not { } home || _keys[slot] != hash || !Retained(home, _placedAt[slot]))
            return;
        for (var k = 0; k < candidates.Length; k++)
        {
            if (ReferenceEquals(endpoints[candidates[k]], home))
                matched[k] = Math.Max(matched[k], length);
        }
    }

    /// <summary>Whether <paramref name="home"/> still holds a prefix placed there when its clock read <paramref name="placedAt"/>.</summary>
    private bool Retained(EndpointState home, long placedAt)
    {
        if (retention <= 0 || home.NumBlocks <= 0 || home.BlockSize <= 0)
            return true;
        var cacheBlocks = (double)home.NumBlocks * home.BlockSize / _blockTokens;
        return home.PlacedBlocks - placedAt < retention * cacheBlocks;
    }

    private void Put(ulong hash, EndpointState endpoint)
    {
        var slot = (int)(hash % Slots);
        _keys[slot] = hash;
        _endpoints[slot] = endpoint;
        _placedAt[slot] = endpoint.PlacedBlocks;
    }
}

/// <summary>Marks a plugin that scores a placement by the prefill the server will compute: in a profile with one, the pick
/// credits this replica's recent placements (<see cref="RecentPlacements"/>) and the endpoint's backlog grows by the
/// prefill with the whole hit credited. A profile without one (e.g. the reference picker's) sees the prefix match alone.</summary>
internal interface IPlacementAware
{
}
