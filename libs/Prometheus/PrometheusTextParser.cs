namespace InferenceMesh.Prometheus;

/// <summary>Parser for the Prometheus text exposition format 0.0.4 over UTF-8 bytes. It walks the buffer once, hands each sample
/// to a visitor as spans (no per-sample allocation) and reports malformed input as a line number and reason, never by crashing.</summary>
public static class PrometheusTextParser
{
    /// <summary>Most labels a sample may carry; more is treated as garbage rather than risking quadratic work.</summary>
    public const int MaxLabelsPerSample = 64;

    /// <summary>Parses <paramref name="utf8"/> and calls <paramref name="visitor"/> for every sample.
    /// Returns false with <paramref name="error"/> at the first malformed line (samples before it were already visited).</summary>
    public static bool TryParse<TVisitor>(ReadOnlySpan<byte> utf8, ref TVisitor visitor, out PrometheusParseError error)
        where TVisitor : IPrometheusSampleVisitor, allows ref struct
    {
        var state = new FamilyState();
        var lineNumber = 0;
        var rest = utf8;
        while (!rest.IsEmpty)
        {
            lineNumber++;
            var nl = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line;
            if (nl < 0)
            {
                line = rest;
                rest = default;
            }
            else
            {
                line = rest[..nl];
                rest = rest[(nl + 1)..];
            }
            if (!line.IsEmpty && line[^1] == (byte)'\r')
                line = line[..^1];
            line = line.TrimStart(" \t"u8);
            if (line.IsEmpty)
                continue;

            string? reason = line[0] == (byte)'#'
                ? ParseComment(line[1..], ref state)
                : ParseSample(line, lineNumber, ref state, ref visitor);
            if (reason is not null)
            {
                error = new PrometheusParseError(lineNumber, reason);
                return false;
            }
        }
        error = default;
        return true;
    }

    /// <summary>Parses <paramref name="utf8"/>, throwing <see cref="PrometheusFormatException"/> at the first malformed line.</summary>
    public static void Parse<TVisitor>(ReadOnlySpan<byte> utf8, ref TVisitor visitor)
        where TVisitor : IPrometheusSampleVisitor, allows ref struct
    {
        if (!TryParse(utf8, ref visitor, out var error))
            throw new PrometheusFormatException(error);
    }

    private static string? ParseComment(ReadOnlySpan<byte> text, scoped ref FamilyState state)
    {
        text = text.TrimStart(" \t"u8);
        var isHelp = text.StartsWith("HELP"u8);
        var isType = text.StartsWith("TYPE"u8);
        if (!(isHelp || isType) || (text.Length > 4 && text[4] is not ((byte)' ' or (byte)'\t')))
            return null; // An ordinary comment.
        text = text[4..].TrimStart(" \t"u8);
        var nameLength = MetricNameLength(text);
        if (nameLength == 0)
            return isHelp ? "HELP line without a valid metric name" : "TYPE line without a valid metric name";
        var name = text[..nameLength];
        var after = text[nameLength..];
        if (!after.IsEmpty && after[0] is not ((byte)' ' or (byte)'\t'))
            return $"invalid character '{Printable(after[0])}' in metric name";
        if (isHelp)
            return null; // Docstrings are free text; nothing we read depends on them.

        var typeToken = after.Trim(" \t"u8);
        PrometheusMetricType type;
        if (typeToken.SequenceEqual("counter"u8)) type = PrometheusMetricType.Counter;
        else if (typeToken.SequenceEqual("gauge"u8)) type = PrometheusMetricType.Gauge;
        else if (typeToken.SequenceEqual("histogram"u8)) type = PrometheusMetricType.Histogram;
        else if (typeToken.SequenceEqual("summary"u8)) type = PrometheusMetricType.Summary;
        else if (typeToken.SequenceEqual("untyped"u8)) type = PrometheusMetricType.Untyped;
        else if (typeToken.IsEmpty) return $"TYPE line for {Utf8(name)} has no type";
        else return $"unknown metric type '{Utf8(typeToken)}' for {Utf8(name)}";

        if (state.HasFamily && name.SequenceEqual(state.NameSpan))
            return $"second TYPE line for metric {Utf8(name)}";
        state.NameSpan = name;
        state.Type = type;
        state.HasFamily = true;
        return null;
    }

    private static string? ParseSample<TVisitor>(ReadOnlySpan<byte> line, int lineNumber, ref FamilyState state, ref TVisitor visitor)
        where TVisitor : IPrometheusSampleVisitor, allows ref struct
    {
        var nameLength = MetricNameLength(line);
        if (nameLength == 0)
            return $"expected a metric name, found '{Printable(line[0])}'";
        var name = line[..nameLength];
        var rest = line[nameLength..].TrimStart(" \t"u8);

        ReadOnlySpan<byte> rawLabels = default;
        var labelCount = 0;
        if (!rest.IsEmpty && rest[0] == (byte)'{')
        {
            var reason = ScanLabels(rest, out var consumed, out labelCount);
            if (reason is not null)
                return reason;
            rawLabels = rest[1..(consumed - 1)];
            rest = rest[consumed..];
            if (!rest.IsEmpty && rest[0] is not ((byte)' ' or (byte)'\t'))
                return "expected whitespace after the label set";
        }
        else if (!rest.IsEmpty && rest.Length == line.Length - nameLength)
        {
            return $"invalid character '{Printable(rest[0])}' in metric name";
        }

        rest = rest.TrimStart(" \t"u8);
        if (rest.IsEmpty)
            return $"sample {Utf8(name)} has no value";
        var valueEnd = rest.IndexOfAny(" \t"u8);
        var valueToken = valueEnd < 0 ? rest : rest[..valueEnd];
        if (!PrometheusValue.TryParseDouble(valueToken, out var value))
            return $"invalid value '{Utf8(valueToken)}' for {Utf8(name)}";
        rest = valueEnd < 0 ? default : rest[valueEnd..].Trim(" \t"u8);

        var hasTimestamp = false;
        long timestamp = 0;
        if (!rest.IsEmpty)
        {
            if (rest.IndexOfAny(" \t"u8) >= 0)
                return $"unexpected text after the timestamp of {Utf8(name)}";
            if (!PrometheusValue.TryParseInteger(rest, out timestamp))
                return $"invalid timestamp '{Utf8(rest)}' for {Utf8(name)}";
            hasTimestamp = true;
        }

        var type = PrometheusMetricType.Untyped;
        if (state.HasFamily)
        {
            var reason = Classify(state, name, rawLabels, labelCount, out type);
            if (reason is not null)
                return reason;
        }

        visitor.OnSample(new PrometheusSample(name, rawLabels, value, hasTimestamp, timestamp, type, lineNumber));
        return null;
    }

    /// <summary>Checks histogram and summary series against their family and returns the family type when the sample belongs to it.</summary>
    private static string? Classify(scoped in FamilyState state, ReadOnlySpan<byte> name, ReadOnlySpan<byte> rawLabels, int labelCount,
        out PrometheusMetricType type)
    {
        type = PrometheusMetricType.Untyped;
        var family = state.NameSpan;
        if (!name.StartsWith(family))
            return null;
        var suffix = name[family.Length..];
        switch (state.Type)
        {
            case PrometheusMetricType.Histogram:
                if (suffix.SequenceEqual("_bucket"u8))
                {
                    if (!HasNumericLabel(rawLabels, labelCount, "le"u8))
                        return $"histogram bucket {Utf8(name)} needs a numeric 'le' label";
                }
                else if (suffix.IsEmpty)
                {
                    return $"histogram {Utf8(name)} has a sample without the _bucket, _sum or _count suffix";
                }
                else if (!suffix.SequenceEqual("_sum"u8) && !suffix.SequenceEqual("_count"u8))
                {
                    return null;
                }
                break;
            case PrometheusMetricType.Summary:
                if (suffix.IsEmpty)
                {
                    if (!HasNumericLabel(rawLabels, labelCount, "quantile"u8))
                        return $"summary {Utf8(name)} needs a numeric 'quantile' label";
                }
                else if (!suffix.SequenceEqual("_sum"u8) && !suffix.SequenceEqual("_count"u8))
                {
                    return null;
                }
                break;
            default:
                if (!suffix.IsEmpty)
                    return null;
                break;
        }
        type = state.Type;
        return null;
    }

    private static bool HasNumericLabel(ReadOnlySpan<byte> rawLabels, int labelCount, ReadOnlySpan<byte> labelName)
    {
        if (labelCount == 0)
            return false;
        foreach (var label in new PrometheusLabelEnumerator(rawLabels))
        {
            if (label.Name.SequenceEqual(labelName))
                return PrometheusValue.TryParseDouble(label.RawValue, out _);
        }
        return false;
    }

    /// <summary>Validates <c>{name="value",...}</c> at the start of <paramref name="s"/>; <paramref name="consumed"/> includes both braces.</summary>
    private static string? ScanLabels(ReadOnlySpan<byte> s, out int consumed, out int count)
    {
        consumed = 0;
        count = 0;
        Span<long> names = stackalloc long[MaxLabelsPerSample]; // (start << 32) | length, for the duplicate check
        var i = 1;
        while (true)
        {
            i = SkipBlank(s, i);
            if (i >= s.Length)
                return "unterminated label set";
            if (s[i] == (byte)'}')
            {
                consumed = i + 1;
                return null;
            }
            var nameLength = LabelNameLength(s[i..]);
            if (nameLength == 0)
                return $"invalid label name starting at '{Printable(s[i])}'";
            var labelName = s.Slice(i, nameLength);
            if (labelName.SequenceEqual("__name__"u8))
                return "label name __name__ is reserved";
            if (count == MaxLabelsPerSample)
                return $"more than {MaxLabelsPerSample} labels on one sample";
            for (var k = 0; k < count; k++)
            {
                if (s.Slice((int)(names[k] >> 32), (int)names[k]).SequenceEqual(labelName))
                    return $"duplicate label name '{Utf8(labelName)}'";
            }
            names[count++] = ((long)i << 32) | (uint)nameLength;
            i = SkipBlank(s, i + nameLength);
            if (i >= s.Length || s[i] != (byte)'=')
                return $"expected '=' after label name '{Utf8(labelName)}'";
            i = SkipBlank(s, i + 1);
            if (i >= s.Length || s[i] != (byte)'"')
                return $"expected '\"' to open the value of label '{Utf8(labelName)}'";
            i++;
            while (true)
            {
                if (i >= s.Length)
                    return $"unterminated value of label '{Utf8(labelName)}'";
                var c = s[i];
                if (c == (byte)'"')
                    break;
                if (c == (byte)'\\')
                {
                    if (i + 1 >= s.Length || s[i + 1] is not ((byte)'\\' or (byte)'"' or (byte)'n'))
                        return $"invalid escape sequence in the value of label '{Utf8(labelName)}'";
                    i++;
                }
                i++;
            }
            i = SkipBlank(s, i + 1);
            if (i >= s.Length)
                return "unterminated label set";
            if (s[i] == (byte)',')
                i++;
            else if (s[i] != (byte)'}')
                return $"expected ',' or '}}' after the value of label '{Utf8(labelName)}'";
        }
    }

    private static int SkipBlank(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && s[i] is (byte)' ' or (byte)'\t')
            i++;
        return i;
    }

    /// <summary>Length of the metric name <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c> at the start of <paramref name="s"/>.</summary>
    private static int MetricNameLength(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty || !(IsLetter(s[0]) || s[0] is (byte)'_' or (byte)':'))
            return 0;
        var i = 1;
        while (i < s.Length && (IsLetter(s[i]) || char.IsAsciiDigit((char)s[i]) || s[i] is (byte)'_' or (byte)':'))
            i++;
        return i;
    }

    /// <summary>Length of the label name <c>[a-zA-Z_][a-zA-Z0-9_]*</c> at the start of <paramref name="s"/>.</summary>
    private static int LabelNameLength(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty || !(IsLetter(s[0]) || s[0] == (byte)'_'))
            return 0;
        var i = 1;
        while (i < s.Length && (IsLetter(s[i]) || char.IsAsciiDigit((char)s[i]) || s[i] == (byte)'_'))
            i++;
        return i;
    }

    private static bool IsLetter(byte c) => (uint)((c | 0x20) - 'a') <= 'z' - 'a';

    private static string Utf8(ReadOnlySpan<byte> s) =>
        System.Text.Encoding.UTF8.GetString(s.Length > 80 ? s[..80] : s);

    private static string Printable(byte c) => c is >= 0x20 and < 0x7f ? ((char)c).ToString() : $"\\x{c:x2}";

    /// <summary>The family of the last <c># TYPE</c> line.</summary>
    private ref struct FamilyState
    {
        public ReadOnlySpan<byte> NameSpan;
        public PrometheusMetricType Type;
        public bool HasFamily;
    }
}
