namespace InferenceMesh.VllmSim;

/// <summary>
/// Paged KV cache with automatic prefix caching, like vLLM V1's block pool: a fixed number of blocks, reference counts,
/// a hash → block map of cached full blocks, and a free queue in LRU order (freed blocks go to the tail, allocation
/// takes the head and evicts its cached hash). Free blocks keep their hash until reused, so they can still be hit.
/// </summary>
internal sealed class KvBlockPool
{
    private const int None = -1;
    private readonly ulong[] _hash;
    private readonly bool[] _hashed;
    private readonly int[] _refs;
    private readonly int[] _prev;
    private readonly int[] _next;
    private readonly Dictionary<ulong, int> _cached;
    private int _head;
    private int _tail;

    public KvBlockPool(int capacity)
    {
        Capacity = capacity;
        _hash = new ulong[capacity];
        _hashed = new bool[capacity];
        _refs = new int[capacity];
        _prev = new int[capacity];
        _next = new int[capacity];
        _cached = new Dictionary<ulong, int>(Math.Min(capacity, 1 << 16));
        for (var i = 0; i < capacity; i++)
        {
            _prev[i] = i - 1;
            _next[i] = i + 1 < capacity ? i + 1 : None;
        }
        _head = 0;
        _tail = capacity - 1;
        FreeCount = capacity;
    }

    public int Capacity { get; }

    /// <summary>Blocks with no reference (empty or cached-and-evictable).</summary>
    public int FreeCount { get; private set; }

    public int CachedCount => _cached.Count;

    public long Evictions { get; private set; }

    /// <summary>Called with the (salted) hash of every cached block that allocation evicts (the KV-events hook).</summary>
    public Action<ulong>? Evicted { get; set; }

    public static ulong Salted(ulong hash, ulong salt) => salt == 0 ? hash : StableHash.Combine(hash, salt);

    /// <summary>Leading blocks of <paramref name="hashes"/> present in the cache, at most <paramref name="maxBlocks"/>.</summary>
    public int MatchPrefix(ReadOnlySpan<ulong> hashes, ulong salt, int maxBlocks)
    {
        var n = Math.Min(hashes.Length, maxBlocks);
        var i = 0;
        while (i < n && _cached.ContainsKey(Salted(hashes[i], salt)))
            i++;
        return i;
    }

    /// <summary>How many of the first <paramref name="count"/> (cached) blocks are currently free, i.e. would leave the free queue if touched.</summary>
    public int CountFree(ReadOnlySpan<ulong> hashes, ulong salt, int count)
    {
        var free = 0;
        for (var i = 0; i < count; i++)
        {
            if (_refs[_cached[Salted(hashes[i], salt)]] == 0)
                free++;
        }
        return free;
    }

    public int Lookup(ulong saltedHash) => _cached.TryGetValue(saltedHash, out var b) ? b : None;

    /// <summary>Takes a reference on a cached block (a prefix hit).</summary>
    public void Touch(int block)
    {
        if (_refs[block]++ == 0)
        {
            Unlink(block);
            FreeCount--;
        }
    }

    /// <summary>Takes the least recently freed block, evicting its cached hash. Caller checked <see cref="FreeCount"/>.</summary>
    public int Allocate()
    {
        var b = _head;
        if (b == None)
            throw new InvalidOperationException("KV block pool exhausted");
        Unlink(b);
        FreeCount--;
        if (_hashed[b])
        {
            _cached.Remove(_hash[b]);
            _hashed[b] = false;
            Evictions++;
            Evicted?.Invoke(_hash[b]);
        }
        _refs[b] = 1;
        return b;
    }

    /// <summary>Drops a reference; an unreferenced block joins the free queue's tail (most recently used end).</summary>
    public void Release(int block)
    {
        if (--_refs[block] == 0)
        {
            _prev[block] = _tail;
            _next[block] = None;
            if (_tail == None)
                _head = block;
            else
                _next[_tail] = block;
            _tail = block;
            FreeCount++;
        }
    }

    /// <summary>Registers a just-computed full block under its hash, unless another block already holds that hash;
    /// true when the hash is new to the cache.</summary>
    public bool Register(int block, ulong saltedHash)
    {
        if (_hashed[block] || !_cached.TryAdd(saltedHash, block))
            return false;
        _hash[block] = saltedHash;
        _hashed[block] = true;
        return true;
    }

    /// <summary>Forgets every cached hash (vLLM's <c>reset_prefix_cache</c>); refused (false) while any block is in use.</summary>
    public bool ResetPrefixCache()
    {
        if (FreeCount != Capacity)
            return false;
        _cached.Clear();
        Array.Clear(_hashed);
        return true;
    }

    private void Unlink(int b)
    {
        var p = _prev[b];
        var n = _next[b];
        if (p == None)
            _head = n;
        else
            _next[p] = n;
        if (n == None)
            _tail = p;
        else
            _prev[n] = p;
        _prev[b] = None;
        _next[b] = None;
    }
}
