using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace InferenceMesh.ServiceDefaults.Metrics;

/// <summary>Every series of one instrument, keyed by tag set.</summary>
internal sealed class InstrumentState
{
    // OpenTelemetry's default explicit bounds (milliseconds-oriented), and a seconds variant for unit "s".
    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
    private static readonly double[] SecondsBounds = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private readonly ConcurrentDictionary<TagSet, Series> _series = new(TagSetComparer.Instance);
    private readonly ConcurrentDictionary<TagSet, Series>.AlternateLookup<TagSpan> _lookup;

    private InstrumentState(Instrument instrument, InstrumentKind kind, double[] bounds)
    {
        Instrument = instrument;
        Kind = kind;
        Bounds = bounds;
        // Fixed for the instrument's life: computed once here, not on every scrape.
        MetricName = PrometheusMetrics.MetricName(instrument.Name, kind);
        BucketLabels = new string[bounds.Length + 1];
        for (var i = 0; i < bounds.Length; i++)
            BucketLabels[i] = PrometheusMetrics.FormatValue(bounds[i]);
        BucketLabels[bounds.Length] = "+Inf";
        _lookup = _series.GetAlternateLookup<TagSpan>();
    }

    public Instrument Instrument { get; }

    public InstrumentKind Kind { get; }

    /// <summary>Histogram upper bounds (inclusive, ascending), without +Inf.</summary>
    public double[] Bounds { get; }

    /// <summary>The family name in the exposition (sanitised; counters end in <c>_total</c>).</summary>
    public string MetricName { get; }

    /// <summary>The <c>le</c> label values of the histogram buckets, +Inf last.</summary>
    public string[] BucketLabels { get; }

    public ICollection<Series> Series => _series.Values;

    /// <summary>State for a supported instrument type, else null.</summary>
    public static InstrumentState? Create(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType)
            return null;
        var definition = type.GetGenericTypeDefinition();
        InstrumentKind kind;
        if (definition == typeof(Counter<>))
            kind = InstrumentKind.Counter;
        else if (definition == typeof(UpDownCounter<>))
            kind = InstrumentKind.UpDownCounter;
        else if (definition == typeof(Gauge<>))
            kind = InstrumentKind.Gauge;
        else if (definition == typeof(Histogram<>))
            kind = InstrumentKind.Histogram;
        else if (definition == typeof(ObservableCounter<>))
            kind = InstrumentKind.ObservableCounter;
        else if (definition == typeof(ObservableUpDownCounter<>))
            kind = InstrumentKind.ObservableUpDownCounter;
        else if (definition == typeof(ObservableGauge<>))
            kind = InstrumentKind.ObservableGauge;
        else
            return null;
        var bounds = kind == InstrumentKind.Histogram ? HistogramBounds(instrument) : [];
        return new InstrumentState(instrument, kind, bounds);
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, long generation)
    {
        var series = Get(tags);
        switch (Kind)
        {
            case InstrumentKind.Counter:
            case InstrumentKind.UpDownCounter:
                series.Add(value);
                break;
            case InstrumentKind.Histogram:
                series.Observe(value, BucketOf(value));
                break;
            default:
                series.Set(value, generation);
                break;
        }
    }

    private Series Get(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = new TagSpan(tags);
        if (_lookup.TryGetValue(key, out var series))
            return series;
        var set = new TagSet(tags);
        return _series.GetOrAdd(set, static (s, buckets) => new Series(s, buckets), Kind == InstrumentKind.Histogram ? Bounds.Length + 1 : 0);
    }

    private int BucketOf(double value)
    {
        var bounds = Bounds;
        var lo = 0;
        var hi = bounds.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (value <= bounds[mid])
                hi = mid;
            else
                lo = mid + 1;
        }
        return lo;
    }

    private static double[] HistogramBounds(Instrument instrument)
    {
        var advised = instrument switch
        {
            Histogram<double> h => ToDoubles(h.Advice?.HistogramBucketBoundaries),
            Histogram<long> h => ToDoubles(h.Advice?.HistogramBucketBoundaries),
            Histogram<int> h => ToDoubles(h.Advice?.HistogramBucketBoundaries),
            Histogram<float> h => ToDoubles(h.Advice?.HistogramBucketBoundaries),
            _ => null,
        };
        if (advised is { Length: > 0 })
            return advised;
        return instrument.Unit == "s" ? SecondsBounds : DefaultBounds;
    }

    private static double[]? ToDoubles<T>(IReadOnlyList<T>? values)
        where T : struct, IConvertible
    {
        if (values is null)
            return null;
        var result = new double[values.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = values[i].ToDouble(System.Globalization.CultureInfo.InvariantCulture);
        Array.Sort(result);
        return result;
    }
}
