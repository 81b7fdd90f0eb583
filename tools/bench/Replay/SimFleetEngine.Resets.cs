namespace InferenceMesh.Bench.Replay;

/// <summary>The fleet's scheduled prefix-cache losses (<see cref="CacheResetSchedule"/>), as engine events of their own.</summary>
internal sealed partial class SimFleetEngine
{
    private CacheResetSchedule? resets;
    private long resetCount;

    /// <summary>Prefix-cache losses so far, all servers.</summary>
    public long CacheResets => resetCount;

    /// <summary>Makes servers lose their prefix cache on <paramref name="schedule"/> from now on.</summary>
    public void ScheduleCacheResets(CacheResetSchedule schedule) => resets = schedule;

    private double NextResetMs => resets is null ? double.PositiveInfinity : resets.At(resetCount);

    /// <summary>Runs engine events before <paramref name="timeMs"/>, applying every reset due on the way at its time.</summary>
    private void AdvanceWithResets(double timeMs)
    {
        while (NextResetMs < timeMs)
        {
            fleet.AdvanceTo(NextResetMs);
            ResetNext();
        }
        fleet.AdvanceTo(timeMs);
    }

    /// <summary>The earliest of the next engine event and the next reset.</summary>
    private void RunNextWithResets()
    {
        var reset = NextResetMs;
        if (reset <= fleet.NextEventMs)
        {
            fleet.AdvanceTo(reset);
            ResetNext();
            return;
        }
        fleet.RunNextEvent();
    }

    private void ResetNext()
    {
        fleet.Servers[(int)(resetCount % fleet.Servers.Count)].ForceResetPrefixCache();
        resetCount++;
    }
}
