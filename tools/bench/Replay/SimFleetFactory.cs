using InferenceMesh.Bench.Results;
using InferenceMesh.VllmSim;

namespace InferenceMesh.Bench.Replay;

/// <summary>Builds in-process simulated fleets and their JSON description from a profile name.</summary>
public static class SimFleetFactory
{
    /// <summary>Profile names the simulator knows.</summary>
    public static IReadOnlyList<string> Profiles => SimProfile.Names;

    /// <summary>The profile called <paramref name="name"/>, with <paramref name="maxModelLen"/> overriding max_model_len when &gt; 0.</summary>
    public static SimProfile Profile(string name, int maxModelLen = 0)
    {
        var p = SimProfile.Get(name);
        return maxModelLen > 0 ? p with { MaxModelLen = maxModelLen } : p;
    }

    /// <summary>A factory giving a fresh fleet per policy.</summary>
    public static Func<FleetSpec, IFleetEngine> Engines(SimProfile profile) => spec => SimFleetEngine.Create(spec, profile);

    /// <summary>A factory giving a fresh fleet of <paramref name="layout"/>'s servers per policy.</summary>
    public static Func<FleetSpec, IFleetEngine> Engines(FleetLayout layout) => spec => SimFleetEngine.Create(spec, layout);

    /// <summary>As <see cref="Engines(FleetLayout)"/>, each fleet losing prefix caches on <paramref name="resets"/> (null = never).</summary>
    public static Func<FleetSpec, IFleetEngine> Engines(FleetLayout layout, CacheResetSchedule? resets) => spec =>
    {
        var engine = SimFleetEngine.Create(spec, layout);
        if (resets is not null)
            engine.ScheduleCacheResets(resets);
        return engine;
    };

    /// <summary>The fleet block of the JSON.</summary>
    public static FleetInfo Describe(FleetSpec spec, SimProfile profile, double scrapeIntervalMs)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(profile);
        return Describe(spec, FleetLayout.Uniform(profile, spec.Servers), scrapeIntervalMs);
    }

    /// <summary>The fleet block of the JSON for a (possibly mixed or slowed) layout: <c>profile</c> holds the layout's
    /// description, <c>kv_blocks_per_server</c> and the batch limits the largest server's.</summary>
    public static FleetInfo Describe(FleetSpec spec, FleetLayout layout, double scrapeIntervalMs)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(layout);
        var profile = layout.Servers.MaxBy(s => s.Profile.NumGpuBlocks)!.Profile;
        return new FleetInfo(
            layout.Describe(),
            layout.Servers.Count,
            spec.Model,
            spec.Adapters ?? [],
            spec.Adapters is { Count: > 0 } ? Math.Max(1, spec.MaxLoras) : 0,
            profile.BlockSize,
            layout.MaxKvBlocks,
            profile.MaxNumSeqs,
            profile.MaxNumBatchedTokens,
            (int)scrapeIntervalMs,
            $"virtual (in-process discrete-event simulation; results do not depend on CPU speed); max_model_len {profile.MaxModelLen}");
    }
}
