namespace InferenceMesh.Prometheus;

/// <summary>Walks an already validated label set (<see cref="PrometheusSample.RawLabels"/>) without allocating.</summary>
public ref struct PrometheusLabelEnumerator
{
    private ReadOnlySpan<byte> _rest;

    internal PrometheusLabelEnumerator(ReadOnlySpan<byte> rawLabels)
    {
        _rest = rawLabels;
        Current = default;
    }

    /// <summary>The current label.</summary>
    public PrometheusLabel Current { get; private set; }

    /// <summary>Enables <c>foreach</c>.</summary>
    public readonly PrometheusLabelEnumerator GetEnumerator() => this;

    /// <summary>Advances to the next label.</summary>
    public bool MoveNext()
    {
        var s = SkipSeparators(_rest);
        if (s.IsEmpty)
        {
            _rest = s;
            return false;
        }
        var eq = s.IndexOf((byte)'=');
        if (eq < 0)
        {
            _rest = default;
            return false;
        }
        var name = s[..eq].TrimEnd(" \t"u8);
        s = s[(eq + 1)..].TrimStart(" \t"u8);
        // The parser validated the set, so s starts with the opening quote and the value is closed.
        s = s[1..];
        var end = PrometheusEscaping.FindClosingQuote(s);
        if (end < 0)
        {
            _rest = default;
            return false;
        }
        Current = new PrometheusLabel(name, s[..end]);
        _rest = s[(end + 1)..];
        return true;
    }

    private static ReadOnlySpan<byte> SkipSeparators(ReadOnlySpan<byte> s)
    {
        var i = 0;
        while (i < s.Length && (s[i] == (byte)' ' || s[i] == (byte)'\t' || s[i] == (byte)','))
            i++;
        return s[i..];
    }
}
