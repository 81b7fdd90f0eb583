namespace InferenceMesh.VllmSim;

/// <summary>Simulated time in ms, shared by the servers of a fleet so cross-server callbacks see one clock.</summary>
public sealed class SimClock
{
    /// <summary>Current simulated time, ms.</summary>
    public double NowMs { get; internal set; }
}
