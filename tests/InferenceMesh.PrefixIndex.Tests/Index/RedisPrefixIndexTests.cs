using System.Globalization;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Index;

/// <summary>A throw-away redis-server.</summary>
public sealed class RedisIndexFixture : RedisBackendFixture
{
    public RedisIndexFixture()
        : this(RedisServer.Start())
    {
    }

    private RedisIndexFixture(RedisServer server)
        : base(server, string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{server.Port}"))
    {
    }
}

/// <summary>The redis backend against a real redis-server.</summary>
public sealed class RedisPrefixIndexTests(RedisIndexFixture fixture) : RedisBackendTests, IClassFixture<RedisIndexFixture>
{
    protected override IConnectionMultiplexer Redis => fixture.Redis;
}
