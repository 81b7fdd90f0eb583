using System.Globalization;
using System.Net.Security;

namespace InferenceMesh.Redis;

/// <summary>Where and how to connect. Parse a connection string with <see cref="Parse"/>.</summary>
public sealed record RedisOptions
{
    /// <summary>Host name or address.</summary>
    public string Host { get; init; } = "localhost";

    /// <summary>TCP port.</summary>
    public int Port { get; init; } = 6379;

    /// <summary>ACL user name; null uses the <c>default</c> user.</summary>
    public string? User { get; init; }

    /// <summary>Password (<c>requirepass</c> or the ACL user's); null skips authentication.</summary>
    public string? Password { get; init; }

    /// <summary>Database selected after connecting.</summary>
    public int Database { get; init; }

    /// <summary>2 for RESP2 (AUTH), 3 for RESP3 (HELLO 3).</summary>
    public int Protocol { get; init; } = 2;

    /// <summary>Name set with CLIENT SETNAME / HELLO SETNAME; null sets none.</summary>
    public string? ClientName { get; init; }

    /// <summary>Wrap the socket in TLS.</summary>
    public bool UseTls { get; init; }

    /// <summary>Name checked against the server certificate; defaults to <see cref="Host"/>.</summary>
    public string? TlsHost { get; init; }

    /// <summary>Custom server-certificate check (e.g. a private CA in tests); null uses the system's.</summary>
    public RemoteCertificateValidationCallback? CertificateValidation { get; init; }

    /// <summary>Limit for TCP connect, TLS and the handshake commands.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Limit per command; <see cref="Timeout.InfiniteTimeSpan"/> waits forever.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>First delay between reconnect attempts; doubled per failure.</summary>
    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Cap of the reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Parses <c>host[:port][,key=value…]</c>, keys: user, password, ssl/tls, sslHost, protocol, database/db,
    /// name, connectTimeout, commandTimeout (milliseconds). A <c>redis://[user:password@]host:port[/db]</c> or
    /// <c>rediss://</c> URI is accepted too.</summary>
    /// <exception cref="FormatException">The string is malformed; the message names the part.</exception>
    public static RedisOptions Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        if (connectionString.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)
            || connectionString.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
            return ParseUri(connectionString);

        var parts = connectionString.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var options = ParseEndpoint(parts[0], new RedisOptions());
        foreach (var part in parts.AsSpan(1))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw new FormatException($"Redis connection string part '{part}' is not key=value.");
            var key = part[..eq].Trim();
            var value = part[(eq + 1)..].Trim();
            options = key.ToUpperInvariant() switch
            {
                "USER" => options with { User = value },
                "PASSWORD" => options with { Password = value },
                "SSL" or "TLS" => options with { UseTls = ParseBool(key, value) },
                "SSLHOST" or "TLSHOST" => options with { TlsHost = value },
                "PROTOCOL" => options with { Protocol = ParseProtocol(value) },
                "DATABASE" or "DB" or "DEFAULTDATABASE" => options with { Database = ParseInt(key, value) },
                "NAME" => options with { ClientName = value },
                "CONNECTTIMEOUT" => options with { ConnectTimeout = TimeSpan.FromMilliseconds(ParseInt(key, value)) },
                "COMMANDTIMEOUT" or "SYNCTIMEOUT" => options with { CommandTimeout = TimeSpan.FromMilliseconds(ParseInt(key, value)) },
                _ => throw new FormatException($"Unknown Redis connection string key '{key}'."),
            };
        }
        return options;
    }

    private static RedisOptions ParseUri(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
            throw new FormatException($"'{text}' is not a valid redis:// URI.");
        var options = new RedisOptions
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 6379 : uri.Port,
            UseTls = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase),
        };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var info = Uri.UnescapeDataString(uri.UserInfo);
            var colon = info.IndexOf(':', StringComparison.Ordinal);
            options = colon < 0
                ? options with { Password = info }
                : options with { User = colon == 0 ? null : info[..colon], Password = info[(colon + 1)..] };
        }
        var path = uri.AbsolutePath.Trim('/');
        return path.Length == 0 ? options : options with { Database = ParseInt("database", path) };
    }

    private static RedisOptions ParseEndpoint(string endpoint, RedisOptions options)
    {
        var colon = endpoint.LastIndexOf(':');
        if (colon < 0 || endpoint.EndsWith(']'))
            return options with { Host = endpoint.Trim('[', ']') };
        return options with { Host = endpoint[..colon].Trim('[', ']'), Port = ParseInt("port", endpoint[(colon + 1)..]) };
    }

    private static int ParseProtocol(string value)
    {
        var p = value.ToUpperInvariant() switch { "RESP2" => 2, "RESP3" => 3, _ => ParseInt("protocol", value) };
        return p is 2 or 3 ? p : throw new FormatException("Redis protocol must be 2 or 3.");
    }

    private static int ParseInt(string key, string value)
        => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw new FormatException($"Redis connection string key '{key}' needs a non-negative integer, got '{value}'.");

    private static bool ParseBool(string key, string value)
        => bool.TryParse(value, out var b) ? b : throw new FormatException($"Redis connection string key '{key}' needs true or false, got '{value}'.");

    /// <summary>The endpoint and flags without secrets, for logs.</summary>
    public override string ToString()
        => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)} (resp{Protocol.ToString(CultureInfo.InvariantCulture)}{(UseTls ? ", tls" : "")}{(User is null ? "" : ", user " + User)})";
}
