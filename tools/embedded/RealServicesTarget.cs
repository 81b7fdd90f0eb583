using System.Globalization;
using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Stats;
using InferenceMesh.Bench.Workloads;
using InferenceMesh.Embedded.Ensemble;
using InferenceMesh.Embedded.Replay;

namespace InferenceMesh.Embedded;

/// <summary>
/// The real path: per policy a fresh ensemble (fleet with cold caches, services, gateway) and the workload sent as OpenAI
/// HTTP requests through the gateway. Latencies are measured by the client in wall time and reported in simulated time
/// (× the time scale), so they compare with the virtual-time bench; the prefix hit rate is the servers' own counters.
/// </summary>
internal sealed class RealServicesTarget(EnsembleOptions options) : IEmbeddedTarget
{
    public const string LeastRequest = "least-request";
    public const string InferenceMesh = "inferencemesh";

    public static IReadOnlyList<string> Policies { get; } = [LeastRequest, InferenceMesh];

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{options.Servers} simulated {options.Model} servers (profile {options.Profile}), LoRA adapters {string.Join(", ", options.Adapters)} (max_loras 1), " +
        $"wall time x{options.TimeScale:0.##}; real services in-process behind the development gateway (HTTP → ext_proc h2c → picker); " +
        $"prefix index {(options.PrefixBackend == PrefixBackend.Garnet ? "in an in-process Garnet (redis backend)" : "in memory")}");

    public BenchResults Run(Workload workload, IReadOnlyList<string> policies, Action<ReplayProgress> progress)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(policies);
        var results = new List<PolicyResult>(policies.Count);
        foreach (var policy in policies)
        {
            var mode = policy switch
            {
                LeastRequest => RoutingMode.LeastRequest,
                InferenceMesh => RoutingMode.InferenceMesh,
                _ => throw new ArgumentException($"unknown policy '{policy}' for the real services; known: {string.Join(", ", Policies)}", nameof(policies)),
            };
            results.Add(RunOneAsync(workload, policy, mode, progress).GetAwaiter().GetResult());
        }
        var profile = VllmSim.SimProfile.Get(options.Profile);
        return new BenchResults(
            "inferencemesh-embedded", 1, DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            new WorkloadInfo(workload.Name, workload.Description, "generated:" + workload.Name, workload.Requests.Count, workload.Mode.ToString(),
                workload.Concurrency, 1.0, options.Seed, Mean(workload, r => r.InputTokens), Mean(workload, r => r.OutputTokens), workload.Skipped.Count),
            new FleetInfo(profile.Name, options.Servers, options.Model, options.Adapters, 1, profile.BlockSize, profile.NumGpuBlocks, profile.MaxNumSeqs,
                profile.MaxNumBatchedTokens, 50, string.Create(CultureInfo.InvariantCulture, $"wall x{options.TimeScale:0.##} (real HTTP)")),
            results);
    }


    private async Task<PolicyResult> RunOneAsync(Workload workload, string policy, RoutingMode mode, Action<ReplayProgress> progress)
    {
        await using var ensemble = await EmbeddedEnsemble.StartAsync(options, mode, CancellationToken.None).ConfigureAwait(false);
        using var http = new HttpClient { BaseAddress = ensemble.GatewayAddress, Timeout = TimeSpan.FromMinutes(10) };
        var replay = new GatewayReplay(http, options.Model, options.TimeScale);
        await replay.WarmUpAsync([options.Model, .. options.Adapters], 2, CancellationToken.None).ConfigureAwait(false);
        var before = Counters(ensemble);
        var total = workload.Requests.Count;
        using var sampler = new KvSampler(ensemble.Fleet, TimeSpan.FromMilliseconds(100));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        progress(new ReplayProgress(policy, 0, total, 0));
        var records = await replay.RunAsync(
            workload, done => progress(new ReplayProgress(policy, done, total, clock.Elapsed.TotalMilliseconds * options.TimeScale)), CancellationToken.None)
            .ConfigureAwait(false);
        var durationMs = clock.Elapsed.TotalMilliseconds;
        var after = Counters(ensemble);
        var perServer = new (long Hits, long Queries)[after.Length];
        long hits = 0, queries = 0, preemptions = 0;
        for (var i = 0; i < after.Length; i++)
        {
            perServer[i] = (after[i].Hits - before[i].Hits, after[i].Queries - before[i].Queries);
            hits += perServer[i].Hits;
            queries += perServer[i].Queries;
            preemptions += after[i].Preemptions - before[i].Preemptions;
        }
        var kv = sampler.Stop();
        return Summarise(policy, records, ensemble.Endpoints, durationMs, hits, queries, preemptions, perServer, kv);
    }

    /// <summary>The servers' own counters (what their /metrics exports), to take the replay's share as a difference.</summary>
    private static (long Hits, long Queries, long Preemptions)[] Counters(EmbeddedEnsemble ensemble) =>
        ensemble.Fleet.Inspect(f => f.Servers.Select(s => (s.PrefixCacheHits, s.PrefixCacheQueries, s.Preemptions)).ToArray());

    private PolicyResult Summarise(
        string policy, IReadOnlyList<RequestRecord?> records, IReadOnlyList<string> endpoints, double durationMs,
        long hits, long queries, long preemptions, (long Hits, long Queries)[] perServer, double[][] kv)
    {
        var scale = options.TimeScale;
        var ttft = new List<double>();
        var tpot = new List<double>();
        var e2e = new List<double>();
        var errorsByStatus = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var servedCount = new Dictionary<string, int>(StringComparer.Ordinal);
        long tokens = 0;
        var errors = 0;
        foreach (var r in records)
        {
            if (r is null || r.Error is not null || r.Status is < 200 or >= 300)
            {
                errors++;
                var key = r is null ? "client" : r.Status.ToString(CultureInfo.InvariantCulture);
                errorsByStatus[key] = errorsByStatus.GetValueOrDefault(key) + 1;
                continue;
            }
            if (r.ServedBy is { } s)
                servedCount[s] = servedCount.GetValueOrDefault(s) + 1;
            e2e.Add(r.E2eMs * scale);
            tokens += r.OutputTokens;
            if (r.Streamed && !double.IsNaN(r.TtftMs))
            {
                ttft.Add(r.TtftMs * scale);
                if (r.OutputTokens > 1)
                    tpot.Add((r.E2eMs - r.TtftMs) * scale / (r.OutputTokens - 1));
            }
        }
        var servers = new List<ServerResult>(endpoints.Count);
        double kvMaxOverMean = 0;
        for (var i = 0; i < endpoints.Count; i++)
        {
            var (h, q) = i < perServer.Length ? perServer[i] : (0, 0);
            var samples = i < kv.Length ? kv[i] : [];
            var mean = samples.Length == 0 ? 0 : samples.Average();
            var max = samples.Length == 0 ? 0 : samples.Max();
            servers.Add(new ServerResult(endpoints[i], servedCount.GetValueOrDefault(endpoints[i]), q == 0 ? 0 : (double)h / q, mean, max));
        }
        if (servers.Count > 0)
        {
            var meanOfMeans = servers.Average(s => s.KvUsageMean);
            kvMaxOverMean = meanOfMeans <= 0 ? 0 : servers.Max(s => s.KvUsageMean) / meanOfMeans;
        }
        var simSeconds = durationMs * scale / 1000.0;
        return new PolicyResult(
            policy, records.Count, records.Count - errors, errors, errorsByStatus,
            Percentiles.Summarise(ttft), Percentiles.Summarise(tpot), Percentiles.Summarise(e2e),
            simSeconds <= 0 ? 0 : tokens / simSeconds, simSeconds,
            queries == 0 ? 0 : (double)hits / queries, hits, queries, 0, kvMaxOverMean, preemptions, servers, null, null);
    }

    private static double Mean(Workload w, Func<WorkloadRequest, int> f) => w.Requests.Count == 0 ? 0 : w.Requests.Average(r => (double)f(r));

    /// <summary>Samples every server's KV usage from the fleet while a replay runs.</summary>
    private sealed class KvSampler : IDisposable
    {
        private readonly VllmSim.Http.SimFleetHost _fleet;
        private readonly List<double>[] _samples;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public KvSampler(VllmSim.Http.SimFleetHost fleet, TimeSpan interval)
        {
            _fleet = fleet;
            _samples = new List<double>[fleet.Options.Servers];
            for (var i = 0; i < _samples.Length; i++)
                _samples[i] = [];
            _loop = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(interval);
                try
                {
                    while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                        Sample();
                }
                catch (OperationCanceledException)
                {
                    // Stopped.
                }
            });
        }

        private void Sample()
        {
            var usage = _fleet.Inspect(f => f.Servers.Select(s => s.KvUsage).ToArray());
            lock (_samples)
            {
                for (var i = 0; i < usage.Length && i < _samples.Length; i++)
                    _samples[i].Add(usage[i]);
            }
        }

        public double[][] Stop()
        {
            _stop.Cancel();
            _loop.GetAwaiter().GetResult();
            lock (_samples)
                return [.. _samples.Select(s => s.ToArray())];
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
