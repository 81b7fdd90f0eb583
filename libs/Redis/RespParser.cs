using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace InferenceMesh.Redis;

/// <summary>Parses one complete RESP2/RESP3 reply from a buffer, or reports that more bytes are needed.</summary>
internal static class RespParser
{
    private const int MaxDepth = 64;

    /// <summary>Parses one reply; on success advances <paramref name="reader"/> past it. Returns false (reader position undefined) when incomplete.</summary>
    /// <exception cref="InvalidDataException">The bytes are not RESP.</exception>
    public static bool TryRead(ref SequenceReader<byte> reader, out RedisValue value) => TryRead(ref reader, out value, 0);

    private static bool TryRead(ref SequenceReader<byte> reader, out RedisValue value, int depth)
    {
        value = default;
        if (depth > MaxDepth)
            throw new InvalidDataException("RESP reply nested too deeply.");
        if (!reader.TryRead(out var marker) || !TryReadLine(ref reader, out var line))
            return false;
        switch (marker)
        {
            case (byte)'+':
                value = RedisValue.FromBytes(RespType.SimpleString, line.ToArray());
                return true;
            case (byte)'-':
                value = RedisValue.FromBytes(RespType.Error, line.ToArray());
                return true;
            case (byte)':':
                value = RedisValue.FromInteger(ParseInteger(line));
                return true;
            case (byte)'_':
                value = RedisValue.Null;
                return true;
            case (byte)'#':
                value = RedisValue.FromBoolean(line.Length == 1 && line.FirstSpan[0] == (byte)'t');
                return true;
            case (byte)',':
                if (!RedisValue.TryParseDouble(Encoding.ASCII.GetString(line), out var d))
                    throw new InvalidDataException("Malformed RESP3 double.");
                value = RedisValue.FromDouble(d);
                return true;
            case (byte)'(':
                value = RedisValue.FromBytes(RespType.BigNumber, line.ToArray());
                return true;
            case (byte)'$':
            case (byte)'!':
            case (byte)'=':
                return TryReadBlob(ref reader, line, marker, out value);
            case (byte)'*':
            case (byte)'~':
            case (byte)'>':
            case (byte)'%':
                return TryReadAggregate(ref reader, line, marker, out value, depth);
            case (byte)'|':
                // Attributes carry out-of-band metadata ahead of the real reply: skip them.
                var pairs = ParseInteger(line);
                for (long i = 0; i < pairs * 2; i++)
                {
                    if (!TryRead(ref reader, out _, depth + 1))
                        return false;
                }
                return TryRead(ref reader, out value, depth);
            default:
                throw new InvalidDataException($"Unknown RESP type marker 0x{marker:X2}.");
        }
    }

    private static bool TryReadBlob(ref SequenceReader<byte> reader, ReadOnlySequence<byte> line, byte marker, out RedisValue value)
    {
        value = default;
        var length = ParseInteger(line);
        if (length < 0)
        {
            value = RedisValue.Null;
            return true;
        }
        if (length > int.MaxValue - 2)
            throw new InvalidDataException("RESP bulk string too large.");
        if (reader.Remaining < length + 2)
            return false;
        var bytes = new byte[length];
        reader.TryCopyTo(bytes);
        reader.Advance(length);
        if (!reader.IsNext("\r\n"u8, advancePast: true))
            throw new InvalidDataException("RESP bulk string not terminated by CRLF.");
        switch (marker)
        {
            case (byte)'!':
                value = RedisValue.FromBytes(RespType.Error, bytes);
                break;
            case (byte)'=':
                // Verbatim strings start with a three-letter format and a colon ("txt:"), not part of the text.
                value = RedisValue.FromBytes(RespType.VerbatimString, bytes.Length >= 4 ? bytes[4..] : bytes);
                break;
            default:
                value = RedisValue.FromBytes(RespType.BulkString, bytes);
                break;
        }
        return true;
    }

    private static bool TryReadAggregate(ref SequenceReader<byte> reader, ReadOnlySequence<byte> line, byte marker, out RedisValue value, int depth)
    {
        value = default;
        var count = ParseInteger(line);
        if (count < 0)
        {
            value = RedisValue.Null;
            return true;
        }
        var type = marker switch
        {
            (byte)'~' => RespType.Set,
            (byte)'>' => RespType.Push,
            (byte)'%' => RespType.Map,
            _ => RespType.Array,
        };
        if (type == RespType.Map)
            count *= 2;
        if (count > reader.Remaining)
            return false; // every item needs at least one byte; also guards absurd counts
        var items = count == 0 ? [] : new RedisValue[count];
        for (var i = 0; i < items.Length; i++)
        {
            if (!TryRead(ref reader, out items[i], depth + 1))
                return false;
        }
        value = RedisValue.FromItems(type, items);
        return true;
    }

    private static bool TryReadLine(ref SequenceReader<byte> reader, out ReadOnlySequence<byte> line)
        => reader.TryReadTo(out line, "\r\n"u8, advancePastDelimiter: true);

    private static long ParseInteger(ReadOnlySequence<byte> line)
    {
        Span<byte> buffer = stackalloc byte[24];
        if (line.Length > buffer.Length)
            throw new InvalidDataException("RESP integer too long.");
        line.CopyTo(buffer);
        var span = buffer[..(int)line.Length];
        if (!Utf8Parser.TryParse(span, out long value, out var consumed) || consumed != span.Length)
            throw new InvalidDataException("Malformed RESP integer.");
        return value;
    }
}
