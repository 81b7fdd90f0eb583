using System.Diagnostics.Metrics;

namespace InferenceMesh.Prefix.Index;

/// <summary>Instruments of the prefix index (meter <c>InferenceMesh.PrefixIndex</c>); one instance per process. Names follow
/// OpenTelemetry conventions; the Prometheus names in the comments are what <c>/metrics</c> shows (docs/telemetry.md).</summary>
public sealed class PrefixIndexMetrics : IDisposable
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "InferenceMesh.PrefixIndex";

    /// <summary>Instrument names, in one place.</summary>
    public static class Names
    {
        /// <summary><c>inferencemesh_prefix_match_duration_seconds</c>.</summary>
        public const string MatchDuration = "inferencemesh.prefix.match.duration";

        /// <summary><c>inferencemesh_prefix_blocks_queried_total</c>.</summary>
        public const string BlocksQueried = "inferencemesh.prefix.blocks.queried";

        /// <summary><c>inferencemesh_prefix_blocks_matched_total</c>.</summary>
        public const string BlocksMatched = "inferencemesh.prefix.blocks.matched";

        /// <summary><c>inferencemesh_prefix_evictions_total</c>.</summary>
        public const string Evictions = "inferencemesh.prefix.evictions";

        /// <summary><c>inferencemesh_prefix_store_round_trips_total</c>.</summary>
        public const string StoreRoundTrips = "inferencemesh.prefix.store.round_trips";

        /// <summary><c>inferencemesh_prefix_store_errors_total</c>.</summary>
        public const string StoreErrors = "inferencemesh.prefix.store.errors";

        /// <summary><c>inferencemesh_prefix_entries</c>.</summary>
        public const string Entries = "inferencemesh.prefix.entries";

        /// <summary><c>inferencemesh_prefix_hit_ratio</c>.</summary>
        public const string HitRatio = "inferencemesh.prefix.hit_ratio";
    }

    private readonly Meter _meter;
    private long _entries;

    public PrefixIndexMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        MatchDuration = _meter.CreateHistogram<double>(Names.MatchDuration, "s", "Time to answer a match (incl. match-and-record).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25] });
        BlocksQueried = _meter.CreateCounter<long>(Names.BlocksQueried, "{block}", "Blocks asked about in matches (hit ratio denominator).");
        BlocksMatched = _meter.CreateCounter<long>(Names.BlocksMatched, "{block}", "Leading blocks found on the best candidate (hit ratio numerator).");
        Evictions = _meter.CreateCounter<long>(Names.Evictions, "{block}", "Blocks evicted by endpoint capacity.");
        RoundTrips = _meter.CreateCounter<long>(Names.StoreRoundTrips, "{round_trip}", "Round trips to the backing store (redis or dapr).");
        StoreErrors = _meter.CreateCounter<long>(Names.StoreErrors, "{error}", "Backing-store failures answered as 'no match', by kind (connection, timeout, a Redis error code, other).");
        // Failure-type counters start at 0 so the series exist before the first event and rate() counts it.
        Evictions.Add(0);
        StoreErrors.Add(0);
        _meter.CreateObservableGauge(Names.Entries, () => Interlocked.Read(ref _entries), "{entry}", "Entries in the index at the last stats read.");
        _meter.CreateObservableGauge(Names.HitRatio, HitRatio, "1", "Matched / queried blocks since start.");
    }

    /// <summary>Seconds to answer a match.</summary>
    public Histogram<double> MatchDuration { get; }

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
        MatchDuration.Record(elapsedMs / 1000);
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
