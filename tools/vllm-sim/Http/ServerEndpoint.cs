namespace InferenceMesh.VllmSim.Http;

/// <summary>What the handlers of one simulated server need.</summary>
internal sealed class ServerEndpoint(FleetDriver driver, int index, SimHostOptions host)
{
    private long _nextId;

    public FleetDriver Driver { get; } = driver;

    public int Index { get; } = index;

    public SimHostOptions Host { get; } = host;

    public SimServerOptions Server => Host.Server;

    public string NewId(string prefix) => $"{prefix}-{Index}-{Interlocked.Increment(ref _nextId):x}";

    public long UnixSeconds => Driver.WallUnixSeconds;
}
