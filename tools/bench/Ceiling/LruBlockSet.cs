namespace InferenceMesh.Bench.Ceiling;

/// <summary>A set of block ids with a capacity and least-recently-used eviction; capacity ≤ 0 means unbounded.</summary>
internal sealed class LruBlockSet(long capacity)
{
    private readonly Dictionary<ulong, LinkedListNode<ulong>> nodes = [];
    private readonly LinkedList<ulong> order = new();

    public int Count => nodes.Count;

    public long Evictions { get; private set; }

    public bool Contains(ulong id) => nodes.ContainsKey(id);

    /// <summary>Marks <paramref name="id"/> most recently used, inserting it (and evicting the oldest) when absent.</summary>
    public void Touch(ulong id)
    {
        if (nodes.TryGetValue(id, out var node))
        {
            order.Remove(node);
            order.AddFirst(node);
            return;
        }

        if (capacity > 0 && nodes.Count >= capacity)
        {
            var last = order.Last!;
            order.RemoveLast();
            nodes.Remove(last.Value);
            Evictions++;
        }

        nodes[id] = order.AddFirst(id);
    }
}
