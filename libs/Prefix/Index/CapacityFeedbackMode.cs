namespace InferenceMesh.Prefix.Index;

/// <summary>Which endpoints' capacities the schedulers' cache-hit evidence moves (<c>PrefixIndex:CapacityFeedback</c>).</summary>
public enum CapacityFeedbackMode
{
    /// <summary>None: feedback is answered with the capacities unchanged.</summary>
    Off,

    /// <summary>Endpoints whose capacity is a guess: not reported by their engine (<c>num_gpu_blocks</c> in the pool
    /// snapshots, <see cref="EngineCapacities"/>). An engine-reported size is trusted.</summary>
    WhenUnknown,

    /// <summary>Every endpoint, engine-reported or not.</summary>
    Always,
}
