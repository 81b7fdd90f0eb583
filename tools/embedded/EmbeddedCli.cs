using System.CommandLine;
using System.Globalization;
using InferenceMesh.Bench.Cli;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;
using InferenceMesh.Embedded.Ensemble;

namespace InferenceMesh.Embedded;

/// <summary>The main job: the whole ensemble on a simulated fleet, InferenceMesh against least-request on identical arrivals.</summary>
internal static class EmbeddedCli
{
    private static readonly string[] Adapters = ["sql-lora", "chat-lora"];

    public static int Run(string[] args)
    {
        var mode = new Option<string>("--mode")
        {
            Description = "real: the services' real code in-process, requests over HTTP through the gateway (default). " +
                          "simulated: the routing policies in-process on the fleet in virtual time (no sockets; the bench's replay).",
            DefaultValueFactory = _ => "real",
        };
        mode.AcceptOnlyFromAmong("real", "simulated");
        var requests = new Option<int>("--requests") { Description = "Approximate request count (default: the scenario's 120)" };
        var servers = new Option<int>("--servers") { Description = "Simulated servers", DefaultValueFactory = _ => 5 };
        var profile = new Option<string>("--profile") { Description = "Server profile: a10, l20, h100", DefaultValueFactory = _ => "l20" };
        var seed = new Option<int>("--seed") { Description = "Seed for the workload and the pickers", DefaultValueFactory = _ => 42 };
        var timeScale = new Option<double>("--time-scale")
        {
            Description = "Real mode: simulated ms per wall ms (10 = ten times faster than real time; default 10, and 1 with --serve)",
        };
        var policies = new Option<string?>("--policies") { Description = "Comma-separated policies (real: least-request,inferencemesh; simulated: the bench's)" };
        var output = new Option<string?>("--out") { Description = "Write results JSON here" };
        var serve = new Option<bool>("--serve") { Description = "Start the InferenceMesh ensemble and keep it running for curl / OpenAI clients (Ctrl+C stops)" };
        var port = new Option<int>("--port") { Description = "Gateway port with --serve (0 = any free port)", DefaultValueFactory = _ => 8081 };
        var verbose = new Option<bool>("--verbose") { Description = "Show the services' information logs" };
        var prefixBackend = new Option<string>("--prefix-backend")
        {
            Description = "Where the prefix-index keeps its index. garnet (default): the production redis backend (StackExchange.Redis, " +
                          "Lua, EVALSHA) against a Garnet server started inside this process on a loopback port. memory: in-process, no store.",
            DefaultValueFactory = _ => PrefixBackend.Garnet,
        };
        prefixBackend.AcceptOnlyFromAmong([.. PrefixBackend.All]);
        var root = new RootCommand(
            "InferenceMesh embedded run. In one process: a simulated fleet of Qwen2.5-7B servers (vLLM metrics and OpenAI API on loopback " +
            "ports, two LoRA adapters), metrics-collector, prefix-index, scheduler and ext-proc (their real code; the prefix index in " +
            "an in-process Garnet server through the production redis backend, or in memory; in-process pub/sub) and the development gateway (an Envoy stand-in calling ext_proc). It replays a short seeded workload " +
            "(multi-round chat + shared-prefix groups, streaming and not) through the gateway twice — once picked by InferenceMesh, " +
            "once by least-request through the same ext_proc path — and prints the comparison. Needs only the .NET SDK.")
        {
            mode, requests, servers, profile, seed, timeScale, policies, output, serve, port, verbose, prefixBackend,
        };
        root.SetAction(r =>
        {
            if (r.GetValue(servers) < 1)
                return Usage("--servers must be >= 1");
            var profileName = r.GetValue(profile)!;
            if (!VllmSim.SimProfile.Names.Contains(profileName.ToLowerInvariant()))
                return Usage($"unknown profile '{profileName}'; known: {string.Join(", ", VllmSim.SimProfile.Names)}");
            var scale = r.GetValue(timeScale);
            if (scale < 0 || double.IsNaN(scale))
                return Usage("--time-scale must be > 0");
            if (scale == 0)
                scale = r.GetValue(serve) ? 1 : 10;
            var options = new EnsembleOptions
            {
                Servers = r.GetValue(servers),
                Profile = profileName.ToLowerInvariant(),
                TimeScale = scale,
                Adapters = Adapters,
                Seed = r.GetValue(seed),
                LogLevel = r.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning,
                PrefixBackend = r.GetValue(prefixBackend)!,
            };
            try
            {
                if (r.GetValue(serve))
                    return ServeAsync(options with { GatewayPort = r.GetValue(port) }).GetAwaiter().GetResult();
                return r.GetValue(mode) == "simulated"
                    ? RunSimulated(options, r.GetValue(requests), r.GetValue(policies), r.GetValue(output))
                    : RunReal(options, r.GetValue(requests), r.GetValue(policies), r.GetValue(output));
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or HttpRequestException or System.Net.Sockets.SocketException)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return CliErrors.Failed;
            }
        });
        return root.Parse(args).Invoke();
    }

    private static int RunReal(EnsembleOptions options, int requests, string? policyList, string? output)
    {
        var names = string.IsNullOrWhiteSpace(policyList)
            ? RealServicesTarget.Policies
            : policyList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var n in names)
        {
            if (!RealServicesTarget.Policies.Contains(n))
                return Usage($"unknown policy '{n}' for --mode real; known: {string.Join(", ", RealServicesTarget.Policies)}");
        }
        var workload = Scenarios.Create("embedded", options.Seed, requests, Adapters);
        var target = new RealServicesTarget(options);
        Banner(target, workload, names, "least-request = Envoy's default through the same gateway and ext_proc; latencies in simulated ms (wall x time scale)");
        var results = ConsoleUi.WithProgress(names, workload.Requests.Count, progress => target.Run(workload, names, progress));
        return Finish(results, output);
    }

    private static int RunSimulated(EnsembleOptions options, int requests, string? policyList, string? output)
    {
        var (names, label) = ChoosePolicies(policyList);
        foreach (var n in names)
        {
            if (!PolicyRegistry.Contains(n))
                return Usage($"unknown policy '{n}'; known: {string.Join(", ", PolicyRegistry.List().Select(p => p.Name))}");
        }
        var fleet = new FleetSpec(options.Profile, options.Servers, Adapters: Adapters, MaxLoras: 1, Seed: options.Seed);
        var target = new SimulatedPolicyTarget(fleet, options.Profile, options.Seed);
        var workload = Scenarios.Create("embedded", options.Seed, requests, Adapters);
        Banner(target, workload, names, label);
        var results = ConsoleUi.WithProgress(names, workload.Requests.Count, progress => target.Run(workload, names, progress));
        return Finish(results, output);
    }

    private static void Banner(IEmbeddedTarget target, Workload workload, IReadOnlyList<string> names, string label)
    {
        Console.WriteLine("InferenceMesh embedded run");
        Console.WriteLine("  fleet:    " + target.Describe());
        Console.WriteLine("  workload: " + workload.Description + $"; {workload.Requests.Count} requests");
        Console.WriteLine("  policies: " + string.Join(", ", names));
        Console.WriteLine("  " + label);
    }

    private static int Finish(BenchResults results, string? output)
    {
        ConsoleUi.PrintResults(results);
        if (output is { Length: > 0 } path)
        {
            ResultsJson.Write(path, results);
            Console.WriteLine("wrote " + path);
        }
        var failed = false;
        foreach (var p in results.Results)
        {
            if (p.Errors > 0)
            {
                failed = true;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"error: {p.Policy}: {p.Errors} of {p.Requests} requests failed ({string.Join(", ", p.ErrorsByStatus.Select(kv => $"{kv.Key}: {kv.Value}"))})"));
            }
        }
        return failed ? CliErrors.Failed : CliErrors.Ok;
    }

    private static async Task<int> ServeAsync(EnsembleOptions options)
    {
        using var stop = new CancellationTokenSource();
        // Ctrl+C and SIGTERM (docker stop, kill) end the serve loop; the hosts are then stopped in order by the dispose.
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
        await using var ensemble = await EmbeddedEnsemble.StartAsync(options, RoutingMode.InferenceMesh, stop.Token).ConfigureAwait(false);
        var gw = ensemble.GatewayAddress.ToString().TrimEnd('/');
        Console.WriteLine("InferenceMesh is serving (Ctrl+C stops)");
        Console.WriteLine($"  gateway (OpenAI API):  {gw}/v1   models: {options.Model}, {string.Join(", ", options.Adapters)}");
        Console.WriteLine($"  ext_proc (gRPC h2c):   {ensemble.ExtProcAddress}");
        Console.WriteLine(ensemble.Garnet is { } garnet
            ? $"  prefix index store:    Garnet in process, redis://127.0.0.1:{garnet.Port} (redis-cli -p {garnet.Port})"
            : "  prefix index store:    in memory");
        foreach (var (app, address) in ensemble.ServiceAddresses)
            Console.WriteLine($"  {app,-20} {address}  (healthz/ready, metrics)");
        for (var i = 0; i < ensemble.Endpoints.Count; i++)
            Console.WriteLine($"  vllm-sim {i}:           http://{ensemble.Endpoints[i]}/  (time x{options.TimeScale:0.##})");
        Console.WriteLine();
        Console.WriteLine($"  curl -s {gw}/v1/chat/completions -H 'content-type: application/json' \\");
        Console.WriteLine($"    -d '{{\"model\":\"{options.Model}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello\"}}],\"max_tokens\":16}}' -i");
        Console.WriteLine($"  (the response header x-inferencemesh-served-by names the server)");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("stopping");
        }
        return CliErrors.Ok;

        void Stop(System.Runtime.InteropServices.PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine("error: " + message);
        return CliErrors.Usage;
    }

    /// <summary>least-request against the InferenceMesh policies of the bench (virtual time), with greedy-perfect-info as a reference (not a bound).</summary>
    private static (IReadOnlyList<string> Names, string Label) ChoosePolicies(string? requested)
    {
        if (!string.IsNullOrWhiteSpace(requested))
            return ([.. requested.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)], "policies as requested");
        var mesh = PolicyRegistry.List().Select(p => p.Name).Where(n => n.StartsWith("mesh", StringComparison.Ordinal) || n.StartsWith("inferencemesh", StringComparison.Ordinal)).ToList();
        return mesh.Count > 0
            ? (["least-request", .. mesh, "greedy-perfect-info"], "virtual time: least-request (Envoy default) vs InferenceMesh's scheduler; greedy-perfect-info = greedy with the simulator's true state (a reference, not a bound)")
            : (["round-robin", "least-request", "greedy-perfect-info"], "virtual time: baselines only");
    }
}
