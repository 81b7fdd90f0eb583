using System.Text;
using System.Text.Json;

namespace InferenceMesh.ExtProc;

/// <summary>Replaces <c>"model": "from"</c> with <c>"model": "to"</c> wherever it appears in JSON text (response bodies and
/// SSE events carry the served model name; the client must see the name it asked for).</summary>
internal sealed class JsonModelRewriter
{
    private readonly byte[] _from;
    private readonly byte[] _to;

    public JsonModelRewriter(string from, string to)
    {
        _from = Quoted(from);
        _to = Quoted(to);
    }

    /// <summary>Appends <paramref name="input"/> to <paramref name="output"/> with every match rewritten.</summary>
    public void Rewrite(ReadOnlySpan<byte> input, PooledBuffer output)
    {
        var key = "\"model\""u8;
        while (true)
        {
            var at = input.IndexOf(key);
            if (at < 0)
            {
                output.Append(input);
                return;
            }
            var i = at + key.Length;
            i = SkipSpace(input, i);
            if (i < input.Length && input[i] == (byte)':')
            {
                i = SkipSpace(input, i + 1);
                if (input[i..].StartsWith(_from))
                {
                    output.Append(input[..i]);
                    output.Append(_to);
                    input = input[(i + _from.Length)..];
                    continue;
                }
            }
            output.Append(input[..(at + key.Length)]);
            input = input[(at + key.Length)..];
        }
    }

    private static int SkipSpace(ReadOnlySpan<byte> s, int i)
    {
        while (i < s.Length && s[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            i++;
        return i;
    }

    /// <summary>The JSON string token for <paramref name="value"/>, quotes included.</summary>
    public static byte[] Quoted(string value)
    {
        var escaped = JsonEncodedText.Encode(value).EncodedUtf8Bytes;
        var result = new byte[escaped.Length + 2];
        result[0] = (byte)'"';
        escaped.CopyTo(result.AsSpan(1));
        result[^1] = (byte)'"';
        return result;
    }

    public override string ToString() => Encoding.UTF8.GetString(_from) + "→" + Encoding.UTF8.GetString(_to);
}
