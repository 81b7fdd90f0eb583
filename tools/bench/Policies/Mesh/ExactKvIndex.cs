using InferenceMesh.VllmSim;

namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>
/// The precise index: per endpoint, the set of blocks its engine reports holding (BlockStored adds, BlockRemoved and
/// AllBlocksCleared take away), which is what the prefix-index service keeps in Redis from the ZMQ events. In the bench
/// the engine's block hashes are the request's own chain (the replay builds prompts from them), so no token mapping is
/// needed. Events apply in the next pick's view; a pick is also remembered for <see cref="SpeculativeMs"/> (until the engine
/// has computed the prompt and reported it), or a burst of one prefix would scatter before the first prefill ends. The
/// service's <c>/match-precise</c> keeps no such record (a followed endpoint scores from its events alone): construct
/// with <c>speculative: false</c> to measure that.
/// </summary>
internal sealed class ExactKvIndex : IBenchPrefixIndex
{
    /// <summary>How long a dispatched prompt counts as held before its blocks are reported.</summary>
    public const double SpeculativeMs = 10_000;

    private readonly EndpointSet[] _sets;
    private readonly TimeProvider _time;
    private readonly bool _speculative;

    public ExactKvIndex(int endpoints, int maxBlocks, TimeProvider time, bool speculative = true)
    {
        MaxBlocks = maxBlocks;
        _time = time;
        _speculative = speculative;
        _sets = new EndpointSet[endpoints];
        for (var i = 0; i < endpoints; i++)
            _sets[i] = new EndpointSet();
    }

    public int MaxBlocks { get; }

    public IKvEventSink SinkFor(int endpoint) => _sets[endpoint];

    /// <summary>Blocks the engines reported holding, all endpoints (diagnostics).</summary>
    public long ReportedBlocks
    {
        get
        {
            long n = 0;
            foreach (var s in _sets)
                n += s.Held.Count;
            return n;
        }
    }

    public int Match(int endpoint, IReadOnlyList<ulong> hashes)
    {
        var set = _sets[endpoint];
        var now = NowMs();
        var n = Math.Min(hashes.Count, MaxBlocks);
        var matched = 0;
        while (matched < n && set.Holds(hashes[matched], now))
            matched++;
        return matched;
    }

    public void Record(int endpoint, IReadOnlyList<ulong> hashes)
    {
        if (!_speculative)
            return;
        var set = _sets[endpoint];
        var until = NowMs() + SpeculativeMs;
        var n = Math.Min(hashes.Count, MaxBlocks);
        for (var i = 0; i < n; i++)
        {
            if (!set.Held.Contains(hashes[i]))
                set.Speculative[hashes[i]] = until;
        }
        set.SweepIfLarge(NowMs());
    }

    private double NowMs() => (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).TotalMilliseconds;

    private sealed class EndpointSet : IKvEventSink
    {
        public HashSet<ulong> Held { get; } = [];

        public Dictionary<ulong, double> Speculative { get; } = [];

        private int _sweepAt = 4096;

        public bool Holds(ulong hash, double nowMs) =>
            Held.Contains(hash) || (Speculative.TryGetValue(hash, out var until) && until > nowMs);

        public void BlockStored(double nowMs, ulong blockHash, ulong? parentBlockHash, ReadOnlySpan<ulong> tokenIds, string? loraName)
        {
            Held.Add(blockHash);
            Speculative.Remove(blockHash);
        }

        public void BlockRemoved(double nowMs, ulong blockHash) => Held.Remove(blockHash);

        public void AllBlocksCleared(double nowMs)
        {
            Held.Clear();
            Speculative.Clear();
        }

        public void SweepIfLarge(double nowMs)
        {
            if (Speculative.Count < _sweepAt)
                return;
            foreach (var (hash, until) in Speculative)
            {
                if (until <= nowMs)
                    Speculative.Remove(hash);
            }
            _sweepAt = Math.Max(4096, Speculative.Count * 2);
        }
    }
}
