using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace InferenceMesh.ServiceDefaults.Metrics;

/// <summary>Listens to every instrument of the meters whose name starts with a prefix and writes them in the Prometheus text
/// exposition format 0.0.4 (the Prometheus exporter package is not available here).</summary>
public sealed class PrometheusMetrics : IDisposable
{
    /// <summary>Meters whose name starts with this are exposed by default.</summary>
    public const string DefaultMeterPrefix = "InferenceMesh";

    /// <summary>Content type of the exposition.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();
    private readonly Lock _scrapeGate = new();
    private readonly string _meterPrefix;
    private long _generation;

    /// <summary>Starts listening now; instruments created earlier are picked up too.</summary>
    public PrometheusMetrics(string meterPrefix = DefaultMeterPrefix)
    {
        _meterPrefix = meterPrefix;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!instrument.Meter.Name.StartsWith(_meterPrefix, StringComparison.Ordinal))
                return;
            var state = InstrumentState.Create(instrument);
            if (state is null)
                return;
            _instruments[instrument] = state;
            listener.EnableMeasurementEvents(instrument, state);
        };
        _listener.MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out InstrumentState? _);
        _listener.SetMeasurementEventCallback<double>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<float>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<long>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<int>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<short>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<byte>((_, v, tags, s) => Record(s, v, tags));
        _listener.SetMeasurementEventCallback<decimal>((_, v, tags, s) => Record(s, (double)v, tags));
        _listener.Start();
    }

    /// <summary>Collects observable instruments and returns the whole exposition.</summary>
    public string Scrape()
    {
        var sb = new StringBuilder(4096);
        lock (_scrapeGate)
        {
            var generation = Interlocked.Increment(ref _generation);
            _listener.RecordObservableInstruments();
            var byName = new SortedDictionary<string, List<InstrumentState>>(StringComparer.Ordinal);
            foreach (var state in _instruments.Values)
            {
                var name = state.MetricName;
                if (!byName.TryGetValue(name, out var list))
                    byName[name] = list = [];
                list.Add(state);
            }
            foreach (var (name, states) in byName)
                WriteFamily(sb, name, states, generation);
        }
        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private void Record(object? state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (state is InstrumentState s)
            s.Record(value, tags, Volatile.Read(ref _generation));
    }

    private static void WriteFamily(StringBuilder sb, string name, List<InstrumentState> states, long generation)
    {
        var first = states[0];
        var description = first.Instrument.Description;
        if (!string.IsNullOrEmpty(description))
            sb.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(description)).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(' ').Append(TypeName(first.Kind)).Append('\n');
        foreach (var state in states)
        {
            // Two instruments may share a name only if they share a type; otherwise the family would be invalid.
            if (TypeName(state.Kind) != TypeName(first.Kind))
                continue;
            var observable = state.Kind is InstrumentKind.ObservableCounter or InstrumentKind.ObservableUpDownCounter or InstrumentKind.ObservableGauge;
            var les = state.Kind == InstrumentKind.Histogram ? state.BucketLabels : null;
            foreach (var series in state.Series)
            {
                if (observable && series.Generation != generation)
                    continue;
                if (les is not null)
                    WriteHistogram(sb, name, les, series);
                else
                    WriteSample(sb, name, series.Tags, null, null, series.Value);
            }
        }
    }

    private static void WriteHistogram(StringBuilder sb, string name, string[] les, Series series)
    {
        long cumulative = 0;
        var bucketName = name + "_bucket";
        for (var i = 0; i < les.Length - 1; i++)
        {
            cumulative += Volatile.Read(ref series.Buckets[i]);
            WriteSample(sb, bucketName, series.Tags, "le", les[i], cumulative);
        }
        cumulative += Volatile.Read(ref series.Buckets[les.Length - 1]);
        WriteSample(sb, bucketName, series.Tags, "le", "+Inf", cumulative);
        WriteSample(sb, name + "_sum", series.Tags, null, null, series.Sum);
        // _count equals the +Inf bucket so a scrape racing a recording stays self-consistent.
        WriteSample(sb, name + "_count", series.Tags, null, null, cumulative);
    }


    private static void WriteSample(StringBuilder sb, string name, TagSet tags, string? extraLabel, string? extraValue, double value)
    {
        sb.Append(name);
        if (tags.Tags.Length > 0 || extraLabel is not null)
        {
            sb.Append('{');
            var first = true;
            foreach (var tag in tags.Tags)
            {
                if (!first)
                    sb.Append(',');
                first = false;
                sb.Append(SanitizeName(tag.Key, allowColon: false)).Append("=\"");
                AppendEscapedLabelValue(sb, FormatTag(tag.Value));
                sb.Append('"');
            }
            if (extraLabel is not null)
            {
                if (!first)
                    sb.Append(',');
                sb.Append(extraLabel).Append("=\"").Append(extraValue).Append('"');
            }
            sb.Append('}');
        }
        sb.Append(' ');
        AppendValue(sb, value);
        sb.Append('\n');
    }

    internal static string MetricName(string instrumentName, InstrumentKind kind)
    {
        var name = SanitizeName(instrumentName, allowColon: true);
        var isCounter = kind is InstrumentKind.Counter or InstrumentKind.ObservableCounter;
        return isCounter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    private static string TypeName(InstrumentKind kind) => kind switch
    {
        InstrumentKind.Counter or InstrumentKind.ObservableCounter => "counter",
        InstrumentKind.Histogram => "histogram",
        _ => "gauge",
    };

    internal static string SanitizeName(string name, bool allowColon)
    {
        if (name.Length == 0)
            return "_";
        if (IsValidName(name, allowColon))
            return name;
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            var ok = char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':') || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
                chars[i] = '_';
        }
        return new string(chars);
    }

    private static bool IsValidName(string name, bool allowColon)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (!(char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':') || (i > 0 && char.IsAsciiDigit(c))))
                return false;
        }
        return true;
    }

    /// <summary>Writes a sample value without an intermediate string (the exposition is formatted per series).</summary>
    private static void AppendValue(StringBuilder sb, double value)
    {
        if (double.IsFinite(value))
            sb.Append(CultureInfo.InvariantCulture, $"{value:R}");
        else
            sb.Append(FormatValue(value));
    }

    internal static string FormatValue(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string FormatTag(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static void AppendEscapedLabelValue(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\':
                    sb.Append(@"\\");
                    break;
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\n':
                    sb.Append(@"\n");
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
    }

    private static string EscapeHelp(string help) =>
        help.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);
}
