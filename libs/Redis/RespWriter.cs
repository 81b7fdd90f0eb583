using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace InferenceMesh.Redis;

/// <summary>Writes commands as RESP arrays of bulk strings straight into a buffer (no intermediate strings).</summary>
internal readonly struct RespWriter(IBufferWriter<byte> output)
{
    // "$" + 20 digits + CRLF, the longest header a length or integer needs.
    private const int MaxHeader = 24;

    public void WriteCommand(string command, ReadOnlySpan<RedisArg> args)
    {
        WriteHeader((byte)'*', args.Length + 1);
        WriteBulk(command);
        foreach (ref readonly var arg in args)
            arg.WriteTo(this);
    }

    public void WriteHeader(byte marker, long length)
    {
        var span = output.GetSpan(MaxHeader);
        span[0] = marker;
        Utf8Formatter.TryFormat(length, span[1..], out var written);
        span[1 + written] = (byte)'\r';
        span[2 + written] = (byte)'\n';
        output.Advance(3 + written);
    }

    public void WriteBulk(ReadOnlySpan<byte> value)
    {
        WriteHeader((byte)'$', value.Length);
        var span = output.GetSpan(value.Length + 2);
        value.CopyTo(span);
        span[value.Length] = (byte)'\r';
        span[value.Length + 1] = (byte)'\n';
        output.Advance(value.Length + 2);
    }

    public void WriteBulk(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteHeader((byte)'$', length);
        var span = output.GetSpan(length + 2);
        Encoding.UTF8.GetBytes(value, span);
        span[length] = (byte)'\r';
        span[length + 1] = (byte)'\n';
        output.Advance(length + 2);
    }

    public void WriteBulk(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var written);
        WriteBulk(digits[..written]);
    }

    public void WriteBulk(ulong value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var written);
        WriteBulk(digits[..written]);
    }
}
