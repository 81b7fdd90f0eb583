namespace InferenceMesh.Redis;

/// <summary>Base type of every failure the Redis client reports.</summary>
public class RedisException : Exception
{
    public RedisException() { }

    public RedisException(string message) : base(message) { }

    public RedisException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>The server answered with an error reply (e.g. <c>WRONGTYPE</c>, <c>NOSCRIPT</c>, <c>WRONGPASS</c>).</summary>
public sealed class RedisServerException : RedisException
{
    public RedisServerException() { }

    public RedisServerException(string message) : base(message) { }

    public RedisServerException(string message, Exception? inner) : base(message, inner) { }

    /// <summary>The error's first word, e.g. <c>NOSCRIPT</c> or <c>ERR</c>.</summary>
    public string Prefix
    {
        get
        {
            var space = Message.IndexOf(' ', StringComparison.Ordinal);
            return space < 0 ? Message : Message[..space];
        }
    }
}

/// <summary>No usable connection: not connected yet, reconnecting, or the connection dropped while the command was in flight.</summary>
public sealed class RedisConnectionException : RedisException
{
    public RedisConnectionException() { }

    public RedisConnectionException(string message) : base(message) { }

    public RedisConnectionException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>No reply within <see cref="RedisOptions.CommandTimeout"/>; the connection stays in sync and usable.</summary>
public sealed class RedisTimeoutException : RedisException
{
    public RedisTimeoutException() { }

    public RedisTimeoutException(string message) : base(message) { }

    public RedisTimeoutException(string message, Exception? inner) : base(message, inner) { }
}
