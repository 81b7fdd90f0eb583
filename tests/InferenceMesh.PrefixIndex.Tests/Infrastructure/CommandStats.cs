using System.Globalization;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Infrastructure;

/// <summary>The server's own count of commands executed (INFO commandstats; redis-server, and Garnet with
/// --commandstats-monitor): what the client sent, seen from the other side.</summary>
public static class CommandStats
{
    /// <summary>Calls per command name (lower case, e.g. <c>evalsha</c>, <c>script|load</c>); INFO itself is left out.</summary>
    public static async Task<Dictionary<string, long>> ReadAsync(IConnectionMultiplexer redis)
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var info = await server.InfoRawAsync("commandstats") ?? "";
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries))
        {
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal))
                continue;
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = line["cmdstat_".Length..colon].ToLowerInvariant();
            if (name == "info")
                continue;
            foreach (var part in line[(colon + 1)..].Split(','))
            {
                if (part.StartsWith("calls=", StringComparison.Ordinal))
                    calls[name] = long.Parse(part["calls=".Length..], CultureInfo.InvariantCulture);
            }
        }
        return calls;
    }

    /// <summary>Per command, calls in <paramref name="after"/> minus <paramref name="before"/> (only those that moved).</summary>
    public static Dictionary<string, long> Delta(Dictionary<string, long> before, Dictionary<string, long> after)
    {
        var delta = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, calls) in after)
        {
            var moved = calls - before.GetValueOrDefault(name);
            if (moved != 0)
                delta[name] = moved;
        }
        return delta;
    }
}
