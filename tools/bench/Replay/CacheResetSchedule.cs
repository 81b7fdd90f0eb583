namespace InferenceMesh.Bench.Replay;

/// <summary>
/// Servers losing their whole prefix cache mid-run (<c>--cache-reset-every</c>): a restart, a weight update, or vLLM's
/// <c>reset_prefix_cache(reset_running_requests=True)</c>. Every <paramref name="EveryMs"/> of simulated time one server
/// — in turn, 0, 1, 2, … — preempts its running requests (they recompute), drops every cached block and reports
/// <c>AllBlocksCleared</c>; the first at <paramref name="EveryMs"/>, the last at or before <paramref name="UntilMs"/>
/// (the last arrival, so the replay still ends).
/// </summary>
/// <param name="EveryMs">Interval between two resets anywhere in the fleet, simulated ms (&gt; 0).</param>
/// <param name="UntilMs">No reset after this simulated time.</param>
public sealed record CacheResetSchedule(double EveryMs, double UntilMs)
{
    /// <summary>Time of reset number <paramref name="k"/> (from 0), or +∞ past the end.</summary>
    public double At(long k)
    {
        var t = (k + 1) * EveryMs;
        return t <= UntilMs ? t : double.PositiveInfinity;
    }
}
