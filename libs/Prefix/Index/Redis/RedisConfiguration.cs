using System.Globalization;
using System.Text;
using InferenceMesh.Contracts;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace InferenceMesh.Prefix.Index.Redis;

/// <summary>StackExchange.Redis <see cref="ConfigurationOptions"/> from <c>PrefixIndex:Redis</c> and the index options.
/// The value is StackExchange.Redis's own connection string; the keys and URIs the earlier client accepted
/// (<c>tls</c>, <c>tlsHost</c>, <c>db</c>/<c>database</c>, <c>commandTimeout</c>, <c>redis://</c> / <c>rediss://</c>) are
/// translated so existing configuration keeps working.</summary>
internal static class RedisConfiguration
{
    /// <summary>The multiplexer's configuration: never abort on a failed first connect (the service starts, not ready, and
    /// keeps retrying), calls fail at once while disconnected, <c>RedisTimeoutMs</c> as the command timeout, backoff 50 ms → 2 s, client name <c>prefix-index</c>.</summary>
    /// <exception cref="FormatException">The connection string is malformed; the message names the part.</exception>
    public static ConfigurationOptions For(PrefixIndexOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = Parse(options.Redis ?? throw new FormatException("is required when Backend is redis (e.g. localhost:6379)"));
        configuration.AbortOnConnectFail = false;
        // While disconnected, fail each call at once (answered as "no match") instead of queueing it until the timeout.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.SyncTimeout = options.RedisTimeoutMs;
        configuration.AsyncTimeout = options.RedisTimeoutMs;
        configuration.ReconnectRetryPolicy = new ExponentialRetry(50, 2000);
        configuration.ClientName ??= AppIds.PrefixIndex;
        if (!string.IsNullOrWhiteSpace(options.RedisCaCertificate))
            configuration.TrustIssuer(options.RedisCaCertificate);
        if (loggerFactory is not null)
            configuration.LoggerFactory = loggerFactory;
        return configuration;
    }

    /// <summary>Parses a StackExchange.Redis connection string, a <c>redis://[user:password@]host[:port][/db]</c> or
    /// <c>rediss://</c> URI, or the earlier client's aliases.</summary>
    /// <exception cref="FormatException">The string is malformed or names an unknown key.</exception>
    public static ConfigurationOptions Parse(string connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new FormatException("is empty");
        var text = connectionString.Trim();
        try
        {
            return ConfigurationOptions.Parse(
                text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase)
                    ? FromUri(text)
                    : TranslateAliases(text));
        }
        catch (ArgumentException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
    }

    private static string TranslateAliases(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var result = new StringBuilder();
        foreach (var part in parts)
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? null : part[..eq].Trim();
            var value = eq < 0 ? null : part[(eq + 1)..].Trim();
            var translated = key?.ToUpperInvariant() switch
            {
                "TLS" => "ssl=" + value,
                "TLSHOST" => "sslHost=" + value,
                "DB" or "DATABASE" => "defaultDatabase=" + value,
                "COMMANDTIMEOUT" => $"syncTimeout={value},asyncTimeout={value}",
                _ => part,
            };
            if (result.Length > 0)
                result.Append(',');
            result.Append(translated);
        }
        return result.ToString();
    }

    private static string FromUri(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            throw new FormatException($"'{Redact(text)}' is not a valid redis:// URI");
        var port = uri.IsDefaultPort || uri.Port <= 0 ? 6379 : uri.Port;
        var result = new StringBuilder(uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost}]" : uri.IdnHost)
            .Append(':').Append(port.ToString(CultureInfo.InvariantCulture));
        if (uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase))
            result.Append(",ssl=true");
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var info = Uri.UnescapeDataString(uri.UserInfo);
            var colon = info.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
                result.Append(",user=").Append(info[..colon]);
            result.Append(",password=").Append(colon < 0 ? info : info[(colon + 1)..]);
        }
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw new FormatException($"the database in '{Redact(text)}' must be a number");
            result.Append(",defaultDatabase=").Append(path);
        }
        return result.ToString();
    }

    private static string Redact(string uri)
    {
        var at = uri.IndexOf('@', StringComparison.Ordinal);
        var scheme = uri.IndexOf("://", StringComparison.Ordinal);
        return at < 0 || scheme < 0 ? uri : uri[..(scheme + 3)] + "***" + uri[at..];
    }
}
