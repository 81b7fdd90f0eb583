using System.Globalization;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;
using InferenceMesh.VllmSim;
using InferenceMesh.VllmSim.Http;

namespace InferenceMesh.Bench.Replay.Http;

/// <summary>Runs policies over HTTP: against given endpoints, or against a fresh in-process vllm-sim HTTP fleet per
/// policy (loopback, ephemeral ports) run <paramref name="timeScale"/>× faster than wall time.</summary>
internal static class HttpReplayRunner
{
    public static async Task<BenchResults> RunAsync(
        Workload workload, IReadOnlyList<string> policies, FleetSpec spec, SimProfile profile, IReadOnlyList<Uri> external,
        double timeScale, ReplayOptions options, string source, double loadScale, Action<ReplayProgress>? progress, CancellationToken ct)
    {
        var results = new List<PolicyResult>(policies.Count);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        foreach (var name in policies)
        {
            SimFleetHost? host = null;
            try
            {
                IReadOnlyList<Uri> endpoints = external;
                if (external.Count == 0)
                {
                    host = await SimFleetHost.StartAsync(new SimHostOptions
                    {
                        Servers = spec.Servers,
                        Port = 0,
                        TimeScale = timeScale,
                        Server = new SimServerOptions
                        {
                            ModelName = spec.Model,
                            Profile = profile,
                            LoraModules = [.. (spec.Adapters ?? []).Select(a => new LoraModule(a, "/adapters/" + a))],
                            MaxLoras = Math.Max(1, spec.MaxLoras),
                        },
                    }, ct: ct).ConfigureAwait(false);
                    endpoints = host.BaseAddresses;
                }

                var addresses = endpoints.Select(u => u.Authority).ToList();
                var policy = PolicyRegistry.Create(name, new PolicyContext(addresses, options.Seed, profile.BlockSize, profile.NumGpuBlocks, spec.MaxLoras, TimeProvider.System));
                if (policy is IOraclePolicy)
                {
                    throw new InvalidOperationException($"policy '{name}' needs the simulator's true state and runs only in virtual mode");
                }

                var run = new HttpPolicyRun(workload, policy, endpoints, http, spec.Model, timeScale, options, progress);
                results.Add(await run.RunAsync(ct).ConfigureAwait(false) with { Policy = name });
            }
            finally
            {
                if (host is not null)
                {
                    await host.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        var fleet = SimFleetFactory.Describe(spec, profile, options.ScrapeIntervalMs) with
        {
            Servers = external.Count > 0 ? external.Count : spec.Servers,
            Time = external.Count > 0
                ? string.Create(CultureInfo.InvariantCulture, $"http against {string.Join(",", external.Select(u => u.Authority))}, wall time x {timeScale}; server caches carry over between policies")
                : string.Create(CultureInfo.InvariantCulture, $"http against in-process vllm-sim (fresh per policy), time scale {timeScale}; wall-clock scheduling noise applies"),
        };
        return new BenchResults(
            "bench", 1, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ReplayRunner.Describe(workload, source, loadScale, options.Seed), fleet, results);
    }
}
