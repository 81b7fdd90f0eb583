namespace InferenceMesh.Prometheus;

/// <summary>A label of a sample: the name and the still-escaped value, both pointing into the parsed buffer.</summary>
public readonly ref struct PrometheusLabel
{
    internal PrometheusLabel(ReadOnlySpan<byte> name, ReadOnlySpan<byte> rawValue)
    {
        Name = name;
        RawValue = rawValue;
    }

    /// <summary>Label name (UTF-8).</summary>
    public ReadOnlySpan<byte> Name { get; }

    /// <summary>Label value as written, escapes (<c>\\</c>, <c>\"</c>, <c>\n</c>) not yet resolved.</summary>
    public ReadOnlySpan<byte> RawValue { get; }

    /// <summary>The unescaped value (allocates).</summary>
    public string GetValue() => PrometheusEscaping.Unescape(RawValue);
}
