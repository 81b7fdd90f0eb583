namespace InferenceMesh.Prefix.Index.Memory;

/// <summary>A bounded set of block hashes with least-recently-recorded eviction. Nodes live in one array (a doubly
/// linked list by index) so a warm LRU records without allocating. Not thread-safe: the owner locks.</summary>
internal sealed class EndpointLru(int capacity)
{
    private const int None = -1;
    private readonly Dictionary<ulong, int> _slots = [];
    private Node[] _nodes = new Node[Math.Min(capacity, 1024)];
    private int _head = None; // most recent
    private int _tail = None; // least recent
    private int _free = None;
    private int _used;

    public int Capacity { get; private set; } = capacity;

    public int Count => _slots.Count;

    public bool Contains(ulong hash) => _slots.ContainsKey(hash);

    /// <summary>Makes <paramref name="hash"/> the most recent entry; returns how many entries were evicted.</summary>
    public int Touch(ulong hash)
    {
        if (_slots.TryGetValue(hash, out var slot))
        {
            Unlink(slot);
            PushFront(slot);
            return 0;
        }
        slot = Allocate(hash);
        _slots.Add(hash, slot);
        PushFront(slot);
        return Trim();
    }

    /// <summary>Changes the capacity; returns how many entries were evicted to fit.</summary>
    public int Resize(int capacity)
    {
        Capacity = capacity;
        return Trim();
    }

    private int Trim()
    {
        var evicted = 0;
        while (_slots.Count > Capacity && _tail != None)
        {
            var victim = _tail;
            Unlink(victim);
            _slots.Remove(_nodes[victim].Hash);
            _nodes[victim].Next = _free;
            _free = victim;
            evicted++;
        }
        return evicted;
    }

    private int Allocate(ulong hash)
    {
        int slot;
        if (_free != None)
        {
            slot = _free;
            _free = _nodes[slot].Next;
        }
        else
        {
            if (_used == _nodes.Length)
                Array.Resize(ref _nodes, Math.Max(4, _nodes.Length * 2));
            slot = _used++;
        }
        _nodes[slot] = new Node { Hash = hash, Previous = None, Next = None };
        return slot;
    }

    private void Unlink(int slot)
    {
        ref var node = ref _nodes[slot];
        if (node.Previous != None)
            _nodes[node.Previous].Next = node.Next;
        else
            _head = node.Next;
        if (node.Next != None)
            _nodes[node.Next].Previous = node.Previous;
        else
            _tail = node.Previous;
        node.Previous = node.Next = None;
    }

    private void PushFront(int slot)
    {
        ref var node = ref _nodes[slot];
        node.Previous = None;
        node.Next = _head;
        if (_head != None)
            _nodes[_head].Previous = slot;
        _head = slot;
        if (_tail == None)
            _tail = slot;
    }

    private struct Node
    {
        public ulong Hash;
        public int Previous;
        public int Next;
    }
}
