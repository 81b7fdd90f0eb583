using InferenceMesh.Prefix.Index;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Redis;

/// <summary>Multiplexers built the way the service builds them: from <c>PrefixIndex</c> options.</summary>
internal static class RedisConnections
{
    public static PrefixIndexOptions Options(string connectionString, string? caCertificate = null, int timeoutMs = 30_000)
        => new() { Backend = "redis", Redis = connectionString, RedisCaCertificate = caCertificate, RedisTimeoutMs = timeoutMs };

    public static Task<ConnectionMultiplexer> ConnectAsync(string connectionString, string? caCertificate = null, int timeoutMs = 30_000)
        => ConnectionMultiplexer.ConnectAsync(PrefixIndexFactory.RedisConfigurationFor(Options(connectionString, caCertificate, timeoutMs)));
}
