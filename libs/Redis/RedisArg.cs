using System.Globalization;

namespace InferenceMesh.Redis;

/// <summary>One command argument, written as a RESP bulk string: text (UTF-8), raw bytes, or a number in decimal.</summary>
public readonly struct RedisArg
{
    private readonly object? _ref; // string or byte[]-backed memory owner
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly long _number;
    private readonly byte _kind; // 0 string, 1 bytes, 2 long, 3 ulong, 4 double

    private RedisArg(object? reference, ReadOnlyMemory<byte> bytes, long number, byte kind)
    {
        _ref = reference;
        _bytes = bytes;
        _number = number;
        _kind = kind;
    }

    public static implicit operator RedisArg(string value) => FromString(value);

    public static implicit operator RedisArg(byte[] value) => FromBytes(value);

    public static implicit operator RedisArg(ReadOnlyMemory<byte> value) => FromBytes(value);

    public static implicit operator RedisArg(long value) => FromInt64(value);

    public static implicit operator RedisArg(int value) => FromInt64(value);

    public static implicit operator RedisArg(ulong value) => FromUInt64(value);

    public static implicit operator RedisArg(double value) => FromDouble(value);

    /// <summary>UTF-8 text.</summary>
    public static RedisArg FromString(string value) => new(value ?? throw new ArgumentNullException(nameof(value)), default, 0, 0);

    /// <summary>Raw bytes, written as they are (binary safe).</summary>
    public static RedisArg FromBytes(ReadOnlyMemory<byte> value) => new(null, value, 0, 1);

    /// <summary>A signed integer in decimal.</summary>
    public static RedisArg FromInt64(long value) => new(null, default, value, 2);

    /// <summary>An unsigned integer in decimal.</summary>
    public static RedisArg FromUInt64(ulong value) => new(null, default, unchecked((long)value), 3);

    /// <summary>A double in round-trippable invariant form.</summary>
    public static RedisArg FromDouble(double value) => new(null, default, BitConverter.DoubleToInt64Bits(value), 4);

    internal void WriteTo(RespWriter writer)
    {
        switch (_kind)
        {
            case 0:
                writer.WriteBulk((string)_ref!);
                break;
            case 1:
                writer.WriteBulk(_bytes.Span);
                break;
            case 2:
                writer.WriteBulk(_number);
                break;
            case 3:
                writer.WriteBulk(unchecked((ulong)_number));
                break;
            default:
                writer.WriteBulk(BitConverter.Int64BitsToDouble(_number).ToString("R", CultureInfo.InvariantCulture));
                break;
        }
    }

    public override string ToString() => _kind switch
    {
        0 => (string)_ref!,
        1 => Convert.ToHexString(_bytes.Span),
        2 => _number.ToString(CultureInfo.InvariantCulture),
        3 => unchecked((ulong)_number).ToString(CultureInfo.InvariantCulture),
        _ => BitConverter.Int64BitsToDouble(_number).ToString("R", CultureInfo.InvariantCulture),
    };
}
