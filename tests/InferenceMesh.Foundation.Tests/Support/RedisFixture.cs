using InferenceMesh.DaprStandIn;

namespace InferenceMesh.Foundation.Tests.Support;

/// <summary>One real redis-server per test class, on a free port in a temp dir.</summary>
public sealed class RedisFixture : IDisposable
{
    public RedisFixture() => Server = RedisServerProcess.Start();

    public RedisServerProcess Server { get; }

    public void Dispose() => Server.Dispose();
}
