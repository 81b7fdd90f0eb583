using System.Text;

namespace InferenceMesh.Prometheus;

/// <summary>Label-value escapes of the text format: <c>\\</c>, <c>\"</c> and <c>\n</c>.</summary>
internal static class PrometheusEscaping
{
    /// <summary>Index of the unescaped closing quote, or -1.</summary>
    public static int FindClosingQuote(ReadOnlySpan<byte> s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == (byte)'\\')
                i++;
            else if (c == (byte)'"')
                return i;
        }
        return -1;
    }

    public static string Unescape(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOf((byte)'\\') < 0)
            return Encoding.UTF8.GetString(raw);
        var buffer = raw.Length <= 256 ? stackalloc byte[raw.Length] : new byte[raw.Length];
        var n = UnescapeInto(raw, buffer);
        return Encoding.UTF8.GetString(buffer[..n]);
    }

    public static bool UnescapedEquals(ReadOnlySpan<byte> raw, ReadOnlySpan<byte> expected)
    {
        if (raw.IndexOf((byte)'\\') < 0)
            return raw.SequenceEqual(expected);
        if (raw.Length > 256)
            return Encoding.UTF8.GetBytes(Unescape(raw)).AsSpan().SequenceEqual(expected);
        Span<byte> buffer = stackalloc byte[raw.Length];
        var n = UnescapeInto(raw, buffer);
        return buffer[..n].SequenceEqual(expected);
    }

    private static int UnescapeInto(ReadOnlySpan<byte> raw, Span<byte> destination)
    {
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == (byte)'\\' && i + 1 < raw.Length)
            {
                i++;
                c = raw[i] == (byte)'n' ? (byte)'\n' : raw[i];
            }
            destination[n++] = c;
        }
        return n;
    }
}
