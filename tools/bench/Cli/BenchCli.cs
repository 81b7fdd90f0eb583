using System.CommandLine;
using System.Globalization;
using InferenceMesh.Bench.Ceiling;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Report;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Bench.Cli;

/// <summary>The <c>bench</c> command line: replay, policies, workloads, report, ceiling.</summary>
public static class BenchCli
{
    /// <summary>Parses and runs; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        var root = new RootCommand("InferenceMesh bench: replay workloads through routing policies on a simulated vLLM fleet and compare them")
        {
            ReplayCommand(),
            PoliciesCommand(),
            WorkloadsCommand(),
            ReportCommand(),
            CeilingCommand(),
            ReplicaTableCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }

    private static Command ReplayCommand()
    {
        var trace = new Option<string?>("--trace") { Description = "Trace file: Mooncake JSONL (any file in that format) or Azure CSV (.csv)" };
        var workload = new Option<string?>("--workload") { Description = "Generated workload name (see `bench workloads`)" };
        var requests = new Option<int>("--requests") { Description = "Use only the first N requests (0 = all)" };
        var policies = new Option<string>("--policies") { Description = "Comma-separated policy names (see `bench policies`)", DefaultValueFactory = _ => "round-robin,least-request," + GreedyPerfectInfoPolicy.PolicyName };
        var output = new Option<string?>("--out") { Description = "Write results JSON here" };
        var requestsOut = new Option<string?>("--requests-out")
        {
            Description = "Write one tab-separated row per request and policy here: arrival, dispatch (after any wait in the picker's queue), first token and finish in ms, server, status, prompt / cached / output tokens, session, criticality",
        };
        var profile = new Option<string>("--profile") { Description = "Server profile: a10, l20, h100", DefaultValueFactory = _ => "l20" };
        var servers = new Option<int>("--servers") { Description = "Number of simulated servers", DefaultValueFactory = _ => 8 };
        var fleet = new Option<string?>("--fleet") { Description = "Mixed fleet as profile:count in index order, e.g. a10:4,l20:2,h100:2 (replaces --profile/--servers; virtual mode)" };
        var slow = new Option<string?>("--slow") { Description = "Slow servers as index:speed, speed a fraction of the profile's, e.g. 7:0.25 (virtual mode)" };
        var stall = new Option<string?>("--stall") { Description = "Stalling servers as index:everyMs:stallMs, e.g. 7:2000:500 = idle 500 ms in every 2 s (virtual mode)" };
        var loadScale = new Option<double>("--load-scale") { Description = "Compress open-loop time by X (2 = twice the request rate)", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<int>("--seed") { Description = "Seed for generators and policies", DefaultValueFactory = _ => 1 };
        var maxModelLen = new Option<int>("--max-model-len") { Description = "Override the profile's max_model_len (0 = profile default 32768; Mooncake prompts reach 126k)" };
        var adapters = new Option<string?>("--lora-adapters") { Description = "Comma-separated LoRA adapters served by every server" };
        var maxLoras = new Option<int>("--max-loras") { Description = "Adapter slots per server", DefaultValueFactory = _ => 1 };
        var noSpread = new Option<bool>("--no-spread") { Description = "Do not spread requests sharing a timestamp over the step" };
        var noSeries = new Option<bool>("--no-series") { Description = "Leave time series out of the JSON (no charts in reports)" };
        var scrape = new Option<double>("--scrape-interval-ms") { Description = "How often the picker's metrics refresh, simulated ms", DefaultValueFactory = _ => 50 };
        var mode = new Option<string>("--mode") { Description = "virtual (in-process simulated time, default) or http (streaming /v1/completions and /metrics scrapes in wall time)", DefaultValueFactory = _ => "virtual" };
        var timeScale = new Option<double>("--time-scale") { Description = "http mode: fleet time runs k times faster than wall time (in-process vllm-sim, or match the external fleet's --time-scale)", DefaultValueFactory = _ => 10.0 };
        var endpoints = new Option<string?>("--endpoints") { Description = "http mode: comma-separated base URLs of an existing fleet (default: start an in-process vllm-sim HTTP fleet per policy)" };
        var cmd = new Command("replay", "Replay a trace or generated workload through each policy on identical arrivals")
        {
            trace, workload, requests, policies, output, requestsOut, profile, servers, fleet, slow, stall, loadScale, seed, maxModelLen, adapters, maxLoras, noSpread, noSeries, scrape, mode, timeScale,
            endpoints,
        };
        var replicaArgs = new ReplicaArgs();
        var churnArgs = new CacheChurnArgs();
        foreach (var o in replicaArgs.All.Concat(churnArgs.All))
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction(r => Guard(() =>
        {
            var httpMode = r.GetValue(mode) switch
            {
                "virtual" => false,
                "http" => true,
                var other => throw new UsageException($"--mode must be virtual or http, not '{other}'"),
            };
            var external = new List<Uri>();
            foreach (var e in Split(r.GetValue(endpoints)))
            {
                if (!Uri.TryCreate(e.EndsWith('/') ? e : e + "/", UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
                {
                    throw new UsageException($"--endpoints: '{e}' is not an http(s) URL");
                }

                external.Add(u);
            }

            if (httpMode && r.GetValue(timeScale) <= 0)
            {
                throw new UsageException("--time-scale must be > 0");
            }

            var adapterList = Split(r.GetValue(adapters));
            var (w, source) = WorkloadArgs.Load(r.GetValue(trace), r.GetValue(workload), r.GetValue(requests), r.GetValue(seed), r.GetValue(loadScale), !r.GetValue(noSpread), adapterList);
            var names = Split(r.GetValue(policies)).ConvertAll(n =>
            {
                var current = PolicyRegistry.Canonical(n, out var deprecated);
                if (deprecated)
                {
                    Console.Error.WriteLine($"warning: policy '{n}' is deprecated; it is now '{current}' (greedy with perfect information, not an upper bound)");
                }

                return current;
            });
            if (names.Count == 0)
            {
                throw new UsageException("--policies is empty");
            }

            foreach (var n in names)
            {
                if (!PolicyRegistry.Contains(n))
                {
                    throw new UsageException($"unknown policy '{n}'; known: {string.Join(", ", PolicyRegistry.List().Select(p => p.Name))}");
                }
            }

            if (r.GetValue(servers) < 1)
            {
                throw new UsageException("--servers must be >= 1");
            }

            var simProfile = ProfileOrThrow(r.GetValue(profile)!, r.GetValue(maxModelLen));
            var layout = LayoutOrThrow(r.GetValue(fleet), simProfile, r.GetValue(servers), r.GetValue(slow), r.GetValue(stall), r.GetValue(maxModelLen));
            if (httpMode && (layout.IsMixed || layout.Servers.Any(s => s.IsSlowed)))
            {
                throw new UsageException("--fleet, --slow and --stall run only in --mode virtual");
            }

            var spec = new FleetSpec(layout.Spec, layout.Servers.Count, Adapters: adapterList, MaxLoras: r.GetValue(maxLoras), Seed: r.GetValue(seed));
            var replicaOptions = replicaArgs.Parse(r);
            if (httpMode && replicaOptions.Count > 1)
            {
                throw new UsageException("--replicas runs only in --mode virtual");
            }

            var resets = churnArgs.Resets(r, w, httpMode);
            var options = new ReplayOptions(r.GetValue(seed), r.GetValue(scrape), KeepSeries: !r.GetValue(noSeries), Replicas: replicaOptions,
                ApproxIndexCapacity: churnArgs.ApproxCapacity(r), CapacityFeedbackSteps: churnArgs.FeedbackSteps(r),
                PlacementRetention: churnArgs.PlacementRetention(r), RequestsOut: r.GetValue(requestsOut));
            var fleetInfo = SimFleetFactory.Describe(spec, layout, options.ScrapeIntervalMs);
            fleetInfo = fleetInfo with { Profile = CacheChurnArgs.Describe(fleetInfo.Profile, resets, options.ApproxIndexCapacity, options.CapacityFeedbackSteps,
                options.PlacementRetention) };
            Console.WriteLine(w.Description);
            foreach (var s in w.Skipped.Take(5))
            {
                Console.Error.WriteLine("skipped " + s);
            }

            if (w.Skipped.Count > 5)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"... and {w.Skipped.Count - 5} more malformed lines"));
            }

            if (httpMode && names.Any(n => n == PerfectInfoPolicies.BestOf || PolicyRegistry.Create(n, new PolicyContext([], 0, 16, 1, 1, TimeProvider.System)) is IOraclePolicy))
            {
                throw new UsageException("the perfect-information policies (" + GreedyPerfectInfoPolicy.PolicyName + ", perfect-info-*, " + PerfectInfoPolicies.BestOf + ") read the simulator's true state and run only in --mode virtual");
            }

            if (options.RequestsOut is { Length: > 0 } rowsPath)
            {
                RequestsTsv.Start(rowsPath);
            }

            var results = httpMode
                ? ConsoleUi.WithProgress(names, w.Requests.Count, progress => Replay.Http.HttpReplayRunner.RunAsync(
                    w, names, spec, simProfile, external, r.GetValue(timeScale), options, source, r.GetValue(loadScale), progress, CancellationToken.None).GetAwaiter().GetResult())
                : ConsoleUi.WithProgress(names, w.Requests.Count, progress => ReplayRunner.Run(
                    w, names, spec, SimFleetFactory.Engines(layout, resets), fleetInfo,
                    options, source, r.GetValue(loadScale), progress));
            ConsoleUi.PrintResults(results);
            if (r.GetValue(output) is { Length: > 0 } outPath)
            {
                ResultsJson.Write(outPath, results);
                Console.WriteLine("wrote " + outPath);
            }

            if (options.RequestsOut is { Length: > 0 } writtenRows)
            {
                Console.WriteLine("wrote " + writtenRows);
            }

            return CliErrors.Ok;
        }));
        return cmd;
    }

    private static Command PoliciesCommand()
    {
        var cmd = new Command("policies", "List routing policy names");
        cmd.SetAction(_ =>
        {
            foreach (var (name, description) in PolicyRegistry.List())
            {
                Console.WriteLine($"{name,-20} {description}");
            }

            return CliErrors.Ok;
        });
        return cmd;
    }

    private static Command WorkloadsCommand()
    {
        var cmd = new Command("workloads", "List generated workload names");
        cmd.SetAction(_ =>
        {
            foreach (var (name, description) in Scenarios.Descriptions)
            {
                Console.WriteLine($"{name,-16} {description}");
            }

            return CliErrors.Ok;
        });
        return cmd;
    }

    private static Command ReportCommand()
    {
        var files = new Argument<string[]>("results") { Description = "Result JSON files from `bench replay --out`", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Markdown file to write (SVG charts go next to it)", DefaultValueFactory = _ => "report.md" };
        var cmd = new Command("report", "Turn result JSON files into a Markdown report with SVG charts") { files, output };
        cmd.SetAction(r => Guard(() =>
        {
            var inputs = new List<(string, BenchResults)>();
            foreach (var f in r.GetValue(files) ?? [])
            {
                if (!File.Exists(f))
                {
                    throw new UsageException($"results file not found: {f}");
                }

                try
                {
                    inputs.Add((f, ResultsJson.Deserialize(File.ReadAllText(f))));
                }
                catch (System.Text.Json.JsonException e)
                {
                    throw new UsageException($"{f} is not a bench results file: {e.Message}");
                }
            }

            foreach (var written in MarkdownReport.Write(inputs, r.GetValue(output)!))
            {
                Console.WriteLine("wrote " + written);
            }

            return CliErrors.Ok;
        }));
        return cmd;
    }

    private static Command CeilingCommand()
    {
        var trace = new Option<string>("--trace") { Description = "Trace file (Mooncake JSONL)", Required = true };
        var capacity = new Option<long>("--capacity-blocks") { Description = "Pooled cache capacity in blocks of --block-tokens (0 = the fleet's: servers x profile KV)" };
        var servers = new Option<int>("--servers") { Description = "Servers whose KV capacity is pooled", DefaultValueFactory = _ => 8 };
        var profile = new Option<string>("--profile") { Description = "Server profile for the pooled capacity", DefaultValueFactory = _ => "l20" };
        var blockTokens = new Option<int>("--block-tokens") { Description = "512 = the trace's hash_ids (trace_stats.csv's unit); 16 = vLLM blocks", DefaultValueFactory = _ => 512 };
        var requests = new Option<int>("--requests") { Description = "Use only the first N requests (0 = all)" };
        var output = new Option<string?>("--out") { Description = "Write the ceilings as JSON here" };
        var cmd = new Command("ceiling", "Prefix-reuse ceiling of a trace: one infinite cache, and the fleet's pooled capacity (LRU)")
        {
            trace, capacity, servers, profile, blockTokens, requests, output,
        };
        cmd.SetAction(r => Guard(() =>
        {
            var path = r.GetValue(trace)!;
            var bt = r.GetValue(blockTokens);
            if (bt is not (512 or 16))
            {
                throw new UsageException("--block-tokens must be 512 or 16");
            }

            var simProfile = ProfileOrThrow(r.GetValue(profile)!, 0);
            var cap = r.GetValue(capacity);
            if (cap <= 0)
            {
                cap = (long)simProfile.NumGpuBlocks * simProfile.BlockSize * r.GetValue(servers) / bt;
            }

            var results = Ceilings(path, bt, cap, r.GetValue(requests), out var skipped);
            foreach (var s in skipped.Take(5))
            {
                Console.Error.WriteLine("skipped " + s);
            }

            foreach (var c in results)
            {
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{c.Cache,-11} capacity {(c.CapacityBlocks == 0 ? "unbounded" : c.CapacityBlocks.ToString(CultureInfo.InvariantCulture)),-10} blocks of {c.BlockTokens} tokens: block reuse {c.BlockReuse:F4}, token reuse {c.TokenReuse:F4} ({c.HitBlocks}/{c.Blocks} blocks, {c.Requests} requests, {c.Evictions} evictions)"));
            }

            if (r.GetValue(output) is { Length: > 0 } outPath)
            {
                File.WriteAllText(outPath, System.Text.Json.JsonSerializer.Serialize(results, ResultsJsonContext.Default.ListCeilingResult));
                Console.WriteLine("wrote " + outPath);
            }

            return CliErrors.Ok;
        }));
        return cmd;
    }

    /// <summary>Infinite and pooled-LRU ceilings of a trace file.</summary>
    internal static List<CeilingResult> Ceilings(string path, int blockTokens, long capacityBlocks, int requests, out List<string> skipped)
    {
        skipped = [];
        if (!File.Exists(path))
        {
            try
            {
                TraceLoader.Load(path);
            }
            catch (FileNotFoundException e)
            {
                throw new UsageException(e.Message);
            }
        }

        if (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException("the Azure CSV traces carry no prefix information: there is no reuse ceiling to compute");
        }

        var list = new List<CeilingResult>(2);
        if (blockTokens == 512)
        {
            var rows = MooncakeReader.ReadHashIds(path, skipped);
            var materialised = (requests > 0 ? rows.Take(requests) : rows).ToList();
            list.Add(ReuseCeiling.Compute(ReuseCeiling.FromHashIds(materialised), 0, 512));
            list.Add(ReuseCeiling.Compute(ReuseCeiling.FromHashIds(materialised), capacityBlocks, 512));
        }
        else
        {
            var w = TraceLoader.Load(path, requests);
            skipped.AddRange(w.Skipped);
            list.Add(ReuseCeiling.Compute(ReuseCeiling.FromWorkload(w), 0, 16));
            list.Add(ReuseCeiling.Compute(ReuseCeiling.FromWorkload(w), capacityBlocks, 16));
        }

        return list;
    }

    private static VllmSim.SimProfile ProfileOrThrow(string name, int maxModelLen)
    {
        try
        {
            return SimFleetFactory.Profile(name, maxModelLen);
        }
        catch (ArgumentException e)
        {
            throw new UsageException("--profile: " + e.Message);
        }
    }

    private static FleetLayout LayoutOrThrow(string? fleet, VllmSim.SimProfile profile, int servers, string? slow, string? stall, int maxModelLen)
    {
        try
        {
            var layout = string.IsNullOrWhiteSpace(fleet) ? FleetLayout.Uniform(profile, servers) : FleetLayout.Parse(fleet, maxModelLen);
            return layout.WithSlow(slow).WithStalls(stall);
        }
        catch (FormatException e)
        {
            throw new UsageException("--fleet/--slow/--stall: " + e.Message);
        }
    }

    private static List<string> Split(string? csv) =>
        string.IsNullOrWhiteSpace(csv) ? [] : [.. csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return CliErrors.Usage;
        }
    }
}
