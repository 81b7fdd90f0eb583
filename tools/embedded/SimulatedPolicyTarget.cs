using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Embedded;

/// <summary>Policies run in-process against the simulated fleet in virtual time (no sockets, no external processes).</summary>
internal sealed class SimulatedPolicyTarget(FleetSpec fleet, string profileName, int seed) : IEmbeddedTarget
{
    private readonly VllmSim.SimProfile profile = SimFleetFactory.Profile(profileName);

    public string Describe() =>
        $"{fleet.Servers} simulated {fleet.Model} servers (profile {profile.Name}), LoRA adapters {string.Join(", ", fleet.Adapters ?? [])} (max_loras {fleet.MaxLoras}), virtual time";

    public BenchResults Run(Workload workload, IReadOnlyList<string> policies, Action<ReplayProgress> progress)
    {
        var options = new ReplayOptions(seed);
        return ReplayRunner.Run(
            workload, policies, fleet, SimFleetFactory.Engines(profile), SimFleetFactory.Describe(fleet, profile, options.ScrapeIntervalMs),
            options, "generated:" + workload.Name, 1.0, progress);
    }
}
