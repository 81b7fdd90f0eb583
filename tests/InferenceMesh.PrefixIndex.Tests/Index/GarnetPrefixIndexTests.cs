using InferenceMesh.Garnet;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Index;

/// <summary>Garnet in this process, small, counting commands for <c>INFO commandstats</c>.</summary>
public sealed class GarnetFixture : RedisBackendFixture
{
    public GarnetFixture()
        : this(InProcessGarnet.Start(new InProcessGarnetOptions { Memory = "16m", Index = "1m", CommandStats = true }))
    {
    }

    private GarnetFixture(InProcessGarnet server)
        : base(server, server.ConnectionString)
    {
    }
}

/// <summary>The redis backend against Garnet hosted in this process (the embedded default's store).</summary>
public sealed class GarnetPrefixIndexTests(GarnetFixture fixture) : RedisBackendTests, IClassFixture<GarnetFixture>
{
    protected override IConnectionMultiplexer Redis => fixture.Redis;
}
