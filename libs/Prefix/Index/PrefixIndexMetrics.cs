using System.Diagnostics.Metrics;

namespace InferenceMesh.Prefix.Index;

/// <summary>Instruments of the prefix index (meter <c>InferenceMesh.PrefixIndex</c>); one instance per process.</summary>
public sealed class PrefixIndexMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "InferenceMesh.PrefixIndex";

    private readonly Meter _meter;
    private long _entries;

    public PrefixIndexMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        MatchLatency = _meter.CreateHistogram<double>("inferencemesh_prefix_match_latency", "ms", "Time to answer a match (incl. match-and-record).");
        BlocksQueried = _meter.CreateCounter<long>("inferencemesh_prefix_blocks_queried", description: "Blocks asked about in matches (hit ratio denominator).");
        BlocksMatched = _meter.CreateCounter<long>("inferencemesh_prefix_blocks_matched", description: "Leading blocks found on the best candidate (hit ratio numerator).");
        Evictions = _meter.CreateCounter<long>("inferencemesh_prefix_evictions", description: "Blocks evicted by endpoint capacity.");
        RoundTrips = _meter.CreateCounter<long>("inferencemesh_prefix_store_round_trips", description: "Round trips to the backing store (redis or dapr).");
        StoreErrors = _meter.CreateCounter<long>("inferencemesh_prefix_store_errors", description: "Backing-store failures answered as 'no match', by kind (connection, timeout, a Redis error code, other).");
        _meter.CreateObservableGauge("inferencemesh_prefix_entries", () => Interlocked.Read(ref _entries), description: "Entries in the index at the last stats read.");
        _meter.CreateObservableGauge("inferencemesh_prefix_hit_ratio", HitRatio, description: "Matched / queried blocks since start.");
    }

    public Histogram<double> MatchLatency { get; }

    public Counter<long> BlocksQueried { get; }

    public Counter<long> BlocksMatched { get; }

    public Counter<long> Evictions { get; }

    public Counter<long> RoundTrips { get; }

    public Counter<long> StoreErrors { get; }

    private long _queried;
    private long _matched;

    /// <summary>Records one match: the best candidate's leading blocks out of the chain's.</summary>
    public void RecordMatch(int total, int best, double elapsedMs)
    {
        MatchLatency.Record(elapsedMs);
        BlocksQueried.Add(total);
        BlocksMatched.Add(best);
        Interlocked.Add(ref _queried, total);
        Interlocked.Add(ref _matched, best);
    }

    /// <summary>Updates the entries gauge.</summary>
    public void SetEntries(long entries) => Interlocked.Exchange(ref _entries, entries);

    private double HitRatio()
    {
        var q = Interlocked.Read(ref _queried);
        return q == 0 ? 0 : (double)Interlocked.Read(ref _matched) / q;
    }

    public void Dispose() => _meter.Dispose();
}
