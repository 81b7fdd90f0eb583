using StackExchange.Redis;

namespace InferenceMesh.Prefix.Index.Redis;

/// <summary>What kind of store failure an exception is, for logs and the store-errors metric. A server error's code is
/// its first word; Garnet wraps errors raised inside a script as <c>ERR Lua encountered an error: WRONGTYPE …</c> and
/// <c>redis.error_reply('X')</c> as <c>ERR X</c> where redis-server answers <c>WRONGTYPE …</c> and <c>X</c>, so both
/// wrappings are taken off before the code is read.</summary>
internal static class RedisErrors
{
    private const string ErrPrefix = "ERR ";
    private const string GarnetLuaPrefix = "Lua encountered an error: ";

    /// <summary><c>connection</c>, <c>timeout</c>, the server error code (<c>WRONGTYPE</c>, <c>NOSCRIPT</c>, <c>OOM</c>,
    /// <c>ERR</c> for a plain error, …) or <c>other</c>.</summary>
    public static string Kind(Exception exception) => exception switch
    {
        RedisTimeoutException or TimeoutException => "timeout",
        RedisConnectionException => "connection",
        RedisServerException server => Code(server.Message),
        RedisException => "client",
        _ => "other",
    };

    /// <summary>The error code of a server error message, the same for redis-server and Garnet.</summary>
    public static string Code(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = message.AsSpan();
        if (text.StartsWith(ErrPrefix, StringComparison.Ordinal))
        {
            var rest = text[ErrPrefix.Length..];
            if (rest.StartsWith(GarnetLuaPrefix, StringComparison.Ordinal))
                rest = rest[GarnetLuaPrefix.Length..];
            var word = FirstWord(rest);
            // "ERR BUSYKEY …" (Garnet) carries a code; "ERR value is not a valid float" (both servers) does not.
            if (!IsCode(word))
                return "ERR";
            text = rest;
        }
        var code = FirstWord(text);
        return IsCode(code) ? code.ToString() : "ERR";
    }

    private static ReadOnlySpan<char> FirstWord(ReadOnlySpan<char> text)
    {
        var space = text.IndexOf(' ');
        return space < 0 ? text : text[..space];
    }

    /// <summary>Redis error codes are upper-case words (WRONGTYPE, NOSCRIPT, BUSYKEY, OOM, READONLY, LOADING, …).</summary>
    private static bool IsCode(ReadOnlySpan<char> word)
    {
        if (word.Length < 2)
            return false;
        foreach (var c in word)
        {
            if (c is not (>= 'A' and <= 'Z') and not '_')
                return false;
        }
        return true;
    }
}
