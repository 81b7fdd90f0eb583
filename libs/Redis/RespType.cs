namespace InferenceMesh.Redis;

// The names are the RESP specification's own type names.
#pragma warning disable CA1720

/// <summary>The RESP2/RESP3 reply types a <see cref="RedisValue"/> can carry.</summary>
public enum RespType : byte
{
    Null,
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
    Double,
    Boolean,
    BigNumber,
    VerbatimString,
    Map,
    Set,
    Push,
}
