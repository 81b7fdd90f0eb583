using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace InferenceMesh.Redis;

/// <summary>One RESP2/RESP3 reply. Aggregates (array, set, map, push) hold their items; a map holds key, value, key, value….</summary>
public readonly struct RedisValue : IEquatable<RedisValue>
{
    private readonly long _integer;
    private readonly double _double;
    private readonly object? _payload; // byte[] for strings, RedisValue[] for aggregates

    private RedisValue(RespType type, long integer, double dbl, object? payload)
    {
        Type = type;
        _integer = integer;
        _double = dbl;
        _payload = payload;
    }

    /// <summary>The RESP null (RESP2 null bulk string / null array, RESP3 <c>_</c>).</summary>
    public static RedisValue Null => default;

    /// <summary>The reply's type.</summary>
    public RespType Type { get; }

    /// <summary>True for the RESP null.</summary>
    public bool IsNull => Type == RespType.Null;

    /// <summary>True for array, set, map and push replies.</summary>
    public bool IsAggregate => _payload is RedisValue[];

    /// <summary>Number of items of an aggregate (a map counts keys and values), else 0.</summary>
    public int Count => _payload is RedisValue[] items ? items.Length : 0;

    /// <summary>Item <paramref name="index"/> of an aggregate.</summary>
    public RedisValue this[int index] => Items[index];

    /// <summary>Items of an aggregate (empty for scalars).</summary>
    public ReadOnlySpan<RedisValue> Items => _payload as RedisValue[] ?? [];

    internal static RedisValue FromBytes(RespType type, byte[] bytes) => new(type, 0, 0, bytes);

    internal static RedisValue FromInteger(long value) => new(RespType.Integer, value, 0, null);

    internal static RedisValue FromDouble(double value) => new(RespType.Double, 0, value, null);

    internal static RedisValue FromBoolean(bool value) => new(RespType.Boolean, value ? 1 : 0, 0, null);

    internal static RedisValue FromItems(RespType type, RedisValue[] items) => new(type, 0, 0, items);

    /// <summary>The raw bytes of a string-like reply (simple, bulk, verbatim, error, big number); empty otherwise.</summary>
    public ReadOnlyMemory<byte> AsBytes() => _payload as byte[] ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>The reply as text: strings decoded as UTF-8, numbers formatted invariantly, null as null.</summary>
    public string? AsString() => Type switch
    {
        RespType.Null => null,
        RespType.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        RespType.Double => _double.ToString("R", CultureInfo.InvariantCulture),
        RespType.Boolean => _integer != 0 ? "true" : "false",
        _ when _payload is byte[] bytes => Encoding.UTF8.GetString(bytes),
        _ => null,
    };

    /// <summary>The reply as an integer (integer replies, or strings holding one).</summary>
    /// <exception cref="FormatException">The reply is not an integer.</exception>
    public long AsInt64()
    {
        switch (Type)
        {
            case RespType.Integer:
            case RespType.Boolean:
                return _integer;
            case RespType.Double:
                return (long)_double;
            default:
                if (_payload is byte[] bytes && Utf8Parser.TryParse(bytes, out long value, out var consumed) && consumed == bytes.Length)
                    return value;
                throw new FormatException($"Redis reply of type {Type} is not an integer.");
        }
    }

    /// <summary>The reply as a double (RESP3 doubles, integers, or strings holding one, incl. <c>inf</c>).</summary>
    public double AsDouble()
    {
        switch (Type)
        {
            case RespType.Double:
                return _double;
            case RespType.Integer:
                return _integer;
            default:
                var s = AsString();
                if (s is not null && TryParseDouble(s, out var d))
                    return d;
                throw new FormatException($"Redis reply of type {Type} is not a number.");
        }
    }

    /// <summary>RESP3 booleans, integers 0/1, or <c>OK</c>.</summary>
    public bool AsBoolean() => Type switch
    {
        RespType.Boolean or RespType.Integer => _integer != 0,
        RespType.SimpleString => AsBytes().Span.SequenceEqual("OK"u8),
        _ => throw new FormatException($"Redis reply of type {Type} is not a boolean."),
    };

    /// <summary>A RESP3 map, or a RESP2 flat key/value array, as a dictionary keyed by the keys' text.</summary>
    public Dictionary<string, RedisValue> AsMap()
    {
        var items = Items;
        var map = new Dictionary<string, RedisValue>(items.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < items.Length; i += 2)
            map[items[i].AsString() ?? string.Empty] = items[i + 1];
        return map;
    }

    internal static bool TryParseDouble(string s, out double value)
    {
        switch (s)
        {
            case "inf" or "+inf":
                value = double.PositiveInfinity;
                return true;
            case "-inf":
                value = double.NegativeInfinity;
                return true;
            case "nan":
                value = double.NaN;
                return true;
            default:
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    public bool Equals(RedisValue other)
    {
        if (Type != other.Type || _integer != other._integer || !_double.Equals(other._double))
            return false;
        return (_payload, other._payload) switch
        {
            (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
            (RedisValue[] a, RedisValue[] b) => a.AsSpan().SequenceEqual(b),
            (null, null) => true,
            _ => false,
        };
    }

    public override bool Equals(object? obj) => obj is RedisValue other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Type, _integer, _double);

    public static bool operator ==(RedisValue left, RedisValue right) => left.Equals(right);

    public static bool operator !=(RedisValue left, RedisValue right) => !left.Equals(right);

    public override string ToString()
    {
        if (_payload is RedisValue[] items)
        {
            var sb = new StringBuilder().Append(Type).Append('[');
            for (var i = 0; i < items.Length; i++)
                sb.Append(i == 0 ? "" : ", ").Append(items[i].ToString());
            return sb.Append(']').ToString();
        }
        return Type == RespType.Null ? "(null)" : AsString() ?? string.Empty;
    }
}
