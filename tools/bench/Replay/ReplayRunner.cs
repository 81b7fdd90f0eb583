using System.Globalization;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Bench.Replay;

/// <summary>Replays one workload through several policies, each on a fresh fleet built by the same factory, so every
/// policy sees identical arrivals (open loop: identical timestamps; closed loop: identical order and concurrency).</summary>
public static class ReplayRunner
{
    /// <summary>Runs every policy in turn and collects their results.</summary>
    public static BenchResults Run(
        Workload workload,
        IReadOnlyList<string> policies,
        FleetSpec fleet,
        Func<FleetSpec, IFleetEngine> engineFactory,
        FleetInfo fleetInfo,
        ReplayOptions options,
        string source,
        double loadScale,
        Action<ReplayProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(engineFactory);
        ArgumentNullException.ThrowIfNull(options);
        var results = new List<PolicyResult>(policies.Count);
        foreach (var name in policies)
        {
            results.Add(name == PerfectInfoPolicies.BestOf ? BestOf(RunOne) : RunOne(name));
        }

        PolicyResult RunOne(string name)
        {
            var engine = engineFactory(fleet);
            var context = new PolicyContext(
                engine.Addresses, options.Seed, fleetInfo.BlockSize, fleetInfo.KvBlocksPerServer, fleetInfo.MaxLoras, new SimulatedTimeProvider(engine))
            {
                ApproxIndexCapacity = options.ApproxIndexCapacity,
                CapacityFeedbackSteps = options.CapacityFeedbackSteps,
                PlacementRetention = options.PlacementRetention,
            };
            var replicas = options.Replicas ?? ReplicaOptions.OnePicker;
            var shared = new Dictionary<string, object>(StringComparer.Ordinal);
            var kvAttached = false;
            // Each replica its own random stream (replica 0 keeps the run's seed, so one replica replays as before).
            IRoutingPolicy Create(int replica)
            {
                var policy = PolicyRegistry.Create(name, context with
                {
                    Seed = options.Seed + (replica * 7919),
                    Replica = new ReplicaContext(replica, Math.Max(1, replicas.Count), replicas.PrefixState == PrefixState.Shared,
                        replicas.IndexDelayMs, replicas.ShareInFlight, replicas.EventDelayMs, shared),
                });
                // The servers' events feed one exact index, shared by every replica (as the sets in Redis are).
                if (policy is IKvEventSubscriber kv && !kvAttached)
                {
                    if (engine is not SimFleetEngine sim)
                        throw new InvalidOperationException($"policy {name} needs KV events: only the virtual-time fleet feeds them to the bench");
                    sim.AttachKvEvents(kv);
                    kvAttached = true;
                }
                return policy;
            }

            return new PolicyRun(workload, engine, Create, options, progress).Run() with { Policy = name };
        }

        return new BenchResults(
            "bench",
            1,
            DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            Describe(workload, source, loadScale, options.Seed),
            fleetInfo,
            results);
    }

    /// <summary><see cref="PerfectInfoPolicies.BestOf"/>: every member on its own fresh fleet; the one with the fewest errors,
    /// then the lowest p90 TTFT, named <c>best-of-perfect-info = member</c>.</summary>
    private static PolicyResult BestOf(Func<string, PolicyResult> run)
    {
        PolicyResult? best = null;
        foreach (var member in PerfectInfoPolicies.Members)
        {
            var r = run(member);
            if (best is null || r.Errors < best.Errors || (r.Errors == best.Errors && r.TtftMs.P90 < best.TtftMs.P90))
                best = r;
        }

        return best! with { Policy = $"{PerfectInfoPolicies.BestOf} = {best!.Policy}" };
    }

    /// <summary>The workload block of the JSON.</summary>
    public static WorkloadInfo Describe(Workload workload, string source, double loadScale, int seed)
    {
        ArgumentNullException.ThrowIfNull(workload);
        double inSum = 0, outSum = 0;
        foreach (var r in workload.Requests)
        {
            inSum += r.InputTokens;
            outSum += r.OutputTokens;
        }

        var n = Math.Max(1, workload.Requests.Count);
        return new WorkloadInfo(
            workload.Name,
            workload.Description,
            source,
            workload.Requests.Count,
            workload.Mode == ArrivalMode.ClosedLoop ? "closed-loop" : "open-loop",
            workload.Concurrency,
            loadScale,
            seed,
            Math.Round(inSum / n, 1),
            Math.Round(outSum / n, 1),
            workload.Skipped.Count);
    }

    /// <summary>A TimeProvider reading the engine's simulated clock (ms from the start, as Unix ms from 0).</summary>
    private sealed class SimulatedTimeProvider(IFleetEngine engine) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddMilliseconds(engine.NowMs);

        public override long GetTimestamp() => (long)(engine.NowMs * TimestampFrequency / 1000.0);

        public override long TimestampFrequency => 1_000_000;
    }
}
