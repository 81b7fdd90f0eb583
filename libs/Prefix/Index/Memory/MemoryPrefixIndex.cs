namespace InferenceMesh.Prefix.Index.Memory;

/// <summary>The index in this process's memory: exact, fast, and lost on restart; for one process (embedded mode, tests).</summary>
internal sealed class MemoryPrefixIndex(PrefixIndexOptions options, PrefixIndexMetrics metrics) : IPrefixIndex
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, EndpointLru>> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _capacities = new(StringComparer.Ordinal);
    private long _evictions;

    public string Backend => "memory";

    public bool IsAvailable => true;

    public ValueTask<int[]> MatchAsync(string model, ReadOnlyMemory<ulong> hashes, IReadOnlyList<string> candidates, CancellationToken cancellationToken)
    {
        lock (_gate)
            return ValueTask.FromResult(Match(model, hashes.Span, candidates));
    }

    public ValueTask RecordAsync(string model, string endpoint, ReadOnlyMemory<ulong> hashes, CancellationToken cancellationToken)
    {
        lock (_gate)
            Record(model, endpoint, hashes.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask<int[]> MatchAndRecordAsync(string model, ReadOnlyMemory<ulong> hashes, IReadOnlyList<string> candidates, string endpoint, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var matches = Match(model, hashes.Span, candidates);
            Record(model, endpoint, hashes.Span);
            return ValueTask.FromResult(matches);
        }
    }

    public ValueTask<long> PurgeEndpointAsync(string endpoint, CancellationToken cancellationToken)
    {
        long removed = 0;
        lock (_gate)
        {
            foreach (var endpoints in _models.Values)
            {
                if (endpoints.Remove(endpoint, out var lru))
                    removed += lru.Count;
            }
            _capacities.Remove(endpoint);
        }
        return ValueTask.FromResult(removed);
    }

    public ValueTask SetCapacityAsync(string endpoint, int capacityBlocks, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBlocks, 1);
        lock (_gate)
        {
            _capacities[endpoint] = capacityBlocks;
            foreach (var endpoints in _models.Values)
            {
                if (endpoints.TryGetValue(endpoint, out var lru))
                    Evicted(lru.Resize(capacityBlocks));
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<int> GetCapacityAsync(string endpoint, CancellationToken cancellationToken)
    {
        lock (_gate)
            return ValueTask.FromResult(_capacities.TryGetValue(endpoint, out var capacity) ? capacity : options.DefaultCapacity);
    }

    public ValueTask<PrefixIndexStats> StatsAsync(CancellationToken cancellationToken)
    {
        var list = new List<PrefixEndpointStats>();
        long total = 0;
        lock (_gate)
        {
            foreach (var (model, endpoints) in _models)
            {
                foreach (var (endpoint, lru) in endpoints)
                {
                    list.Add(new PrefixEndpointStats(model, endpoint, lru.Count, lru.Capacity, null));
                    total += lru.Count;
                }
            }
            metrics.SetEntries(total);
            return ValueTask.FromResult(new PrefixIndexStats(Backend, total, _evictions, null, list));
        }
    }

    private int[] Match(string model, ReadOnlySpan<ulong> hashes, IReadOnlyList<string> candidates)
    {
        var result = new int[candidates.Count];
        if (hashes.IsEmpty || !_models.TryGetValue(model, out var endpoints))
            return result;
        for (var c = 0; c < result.Length; c++)
        {
            if (!endpoints.TryGetValue(candidates[c], out var lru))
                continue;
            var m = 0;
            while (m < hashes.Length && lru.Contains(hashes[m]))
                m++;
            result[c] = m;
        }
        return result;
    }

    private void Record(string model, string endpoint, ReadOnlySpan<ulong> hashes)
    {
        if (hashes.IsEmpty)
            return;
        if (!_models.TryGetValue(model, out var endpoints))
            _models[model] = endpoints = new Dictionary<string, EndpointLru>(StringComparer.Ordinal);
        if (!endpoints.TryGetValue(endpoint, out var lru))
        {
            endpoints[endpoint] = lru = new EndpointLru(_capacities.TryGetValue(endpoint, out var cap) ? cap : options.DefaultCapacity);
        }
        // Deepest first, so the chain's shallow blocks end up most recent and are evicted last.
        var evicted = 0;
        for (var i = hashes.Length - 1; i >= 0; i--)
            evicted += lru.Touch(hashes[i]);
        Evicted(evicted);
    }

    private void Evicted(int count)
    {
        if (count == 0)
            return;
        _evictions += count;
        metrics.Evictions.Add(count);
    }
}
