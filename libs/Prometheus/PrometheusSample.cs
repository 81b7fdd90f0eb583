using System.Text;

namespace InferenceMesh.Prometheus;

/// <summary>One sample line of an exposition. Its spans point into the parsed buffer; label values are only unescaped
/// and materialised when asked for.</summary>
public readonly ref struct PrometheusSample
{
    internal PrometheusSample(ReadOnlySpan<byte> name, ReadOnlySpan<byte> rawLabels, double value, bool hasTimestamp, long timestampMs,
        PrometheusMetricType type, int line)
    {
        Name = name;
        RawLabels = rawLabels;
        Value = value;
        HasTimestamp = hasTimestamp;
        TimestampMs = timestampMs;
        Type = type;
        Line = line;
    }

    /// <summary>The series name as UTF-8 (for histograms including the <c>_bucket</c>/<c>_sum</c>/<c>_count</c> suffix).</summary>
    public ReadOnlySpan<byte> Name { get; }

    /// <summary>The validated text between the braces, still escaped; empty when the sample has no labels.</summary>
    public ReadOnlySpan<byte> RawLabels { get; }

    /// <summary>The sample value (NaN and ±Inf included).</summary>
    public double Value { get; }

    /// <summary>Whether the line carried a timestamp.</summary>
    public bool HasTimestamp { get; }

    /// <summary>The optional timestamp in milliseconds since the Unix epoch; 0 when absent.</summary>
    public long TimestampMs { get; }

    /// <summary>The family type from the preceding <c># TYPE</c> line when this sample belongs to it, else Untyped.</summary>
    public PrometheusMetricType Type { get; }

    /// <summary>1-based line number in the exposition.</summary>
    public int Line { get; }

    /// <summary>The labels in order of appearance.</summary>
    public PrometheusLabelEnumerator Labels => new(RawLabels);

    /// <summary>The name as a string (allocates).</summary>
    public string GetName() => Encoding.UTF8.GetString(Name);

    /// <summary>Finds a label's value in its escaped form (no allocation).</summary>
    public bool TryGetRawLabel(ReadOnlySpan<byte> labelName, out ReadOnlySpan<byte> rawValue)
    {
        foreach (var label in Labels)
        {
            if (label.Name.SequenceEqual(labelName))
            {
                rawValue = label.RawValue;
                return true;
            }
        }
        rawValue = default;
        return false;
    }

    /// <summary>Whether the label exists and its unescaped value equals <paramref name="expected"/> (no allocation).</summary>
    public bool LabelEquals(ReadOnlySpan<byte> labelName, ReadOnlySpan<byte> expected) =>
        TryGetRawLabel(labelName, out var raw) && PrometheusEscaping.UnescapedEquals(raw, expected);

    /// <summary>The unescaped value of a label, or null when absent (allocates the string).</summary>
    public string? GetLabel(ReadOnlySpan<byte> labelName) =>
        TryGetRawLabel(labelName, out var raw) ? PrometheusEscaping.Unescape(raw) : null;

    /// <summary>The unescaped value of a label parsed as an integer; false when absent or not an integer.</summary>
    public bool TryGetLabelInt64(ReadOnlySpan<byte> labelName, out long value)
    {
        value = 0;
        return TryGetRawLabel(labelName, out var raw) && PrometheusValue.TryParseInteger(raw, out value);
    }
}
