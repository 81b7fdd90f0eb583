namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>Approximate prefix index as the reference picker keeps it: per endpoint, an LRU set of block hashes recorded
/// right after each pick; a match counts the leading blocks an endpoint holds, up to <c>maxBlocks</c>. With a clock and
/// a delay, a record becomes visible only after the delay (a shared index fed through pub/sub).</summary>
internal sealed class LruPrefixIndex(int endpoints, int capacityPerEndpoint, int maxBlocks, TimeProvider? clock = null, double visibleAfterMs = 0) : IBenchPrefixIndex
{
    private readonly Lru[] _sets = CreateSets(endpoints, capacityPerEndpoint);
    private readonly Queue<(double AtMs, int Endpoint, IReadOnlyList<ulong> Hashes)> _pending = new();

    public int MaxBlocks => maxBlocks;

    public int Match(int endpoint, IReadOnlyList<ulong> hashes)
    {
        ApplyDue();
        var set = _sets[endpoint];
        var n = Math.Min(hashes.Count, maxBlocks);
        var matched = 0;
        while (matched < n && set.Contains(hashes[matched]))
            matched++;
        return matched;
    }

    public void Record(int endpoint, IReadOnlyList<ulong> hashes)
    {
        if (clock is not null && visibleAfterMs > 0)
        {
            _pending.Enqueue((NowMs(clock) + visibleAfterMs, endpoint, hashes));
            return;
        }

        Apply(endpoint, hashes);
    }

    private static double NowMs(TimeProvider clock) => clock.GetTimestamp() * 1000.0 / clock.TimestampFrequency;

    private void ApplyDue()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var now = NowMs(clock!);
        while (_pending.TryPeek(out var p) && p.AtMs <= now)
        {
            _pending.Dequeue();
            Apply(p.Endpoint, p.Hashes);
        }
    }

    private void Apply(int endpoint, IReadOnlyList<ulong> hashes)
    {
        var set = _sets[endpoint];
        var n = Math.Min(hashes.Count, maxBlocks);
        for (var i = 0; i < n; i++)
            set.Touch(hashes[i]);
    }

    /// <summary>The endpoint's capacity in blocks.</summary>
    public int CapacityOf(int endpoint) => _sets[endpoint].Capacity;

    /// <summary>Sets the endpoint's capacity, evicting its least recent blocks beyond it (prefix-index's SetCapacity).</summary>
    public void SetCapacity(int endpoint, int blocks) => _sets[endpoint].Resize(blocks);

    private static Lru[] CreateSets(int endpoints, int capacity)
    {
        var sets = new Lru[endpoints];
        for (var i = 0; i < endpoints; i++)
            sets[i] = new Lru(capacity);
        return sets;
    }

    private sealed class Lru(int capacity)
    {
        public int Capacity { get; private set; } = capacity;

        private readonly Dictionary<ulong, LinkedListNode<ulong>> _map = [];
        private readonly LinkedList<ulong> _order = new();

        public bool Contains(ulong hash) => _map.ContainsKey(hash);

        public void Touch(ulong hash)
        {
            if (_map.TryGetValue(hash, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                return;
            }
            _map[hash] = _order.AddFirst(hash);
            Trim();
        }

        public void Resize(int blocks)
        {
            Capacity = blocks;
            Trim();
        }

        private void Trim()
        {
            while (_map.Count > Capacity)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _map.Remove(last.Value);
            }
        }
    }
}
