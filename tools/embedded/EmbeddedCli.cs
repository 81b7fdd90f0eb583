using System.CommandLine;
using InferenceMesh.Bench.Cli;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Embedded;

/// <summary>The interim main job: a short seeded workload on a simulated fleet, least-request against the best policy available.</summary>
internal static class EmbeddedCli
{
    private static readonly string[] Adapters = ["sql-lora", "chat-lora"];

    public static int Run(string[] args)
    {
        var requests = new Option<int>("--requests") { Description = "Approximate request count (default: the scenario's 120)" };
        var servers = new Option<int>("--servers") { Description = "Simulated servers", DefaultValueFactory = _ => 5 };
        var profile = new Option<string>("--profile") { Description = "Server profile: a10, l20, h100", DefaultValueFactory = _ => "l20" };
        var seed = new Option<int>("--seed") { Description = "Seed for the workload and the policies", DefaultValueFactory = _ => 42 };
        var policies = new Option<string?>("--policies") { Description = "Comma-separated policies (default: least-request vs the best available)" };
        var output = new Option<string?>("--out") { Description = "Write results JSON here" };
        var root = new RootCommand(
            "InferenceMesh embedded run: a seeded multi-round QA + shared-prefix workload on a simulated fleet of Qwen2.5-7B servers " +
            "with two LoRA adapters, comparing Envoy's least-request with the best routing policy available. Starts nothing external.")
        {
            requests, servers, profile, seed, policies, output,
        };
        root.SetAction(r =>
        {
            if (r.GetValue(servers) < 1)
            {
                Console.Error.WriteLine("error: --servers must be >= 1");
                return 2;
            }

            var (names, label) = ChoosePolicies(r.GetValue(policies));
            foreach (var n in names)
            {
                if (!PolicyRegistry.Contains(n))
                {
                    Console.Error.WriteLine($"error: unknown policy '{n}'; known: {string.Join(", ", PolicyRegistry.List().Select(p => p.Name))}");
                    return 2;
                }
            }

#pragma warning disable CA1859 // kept as the interface: the real-services target (gateway + ext-proc) plugs in here next
            IEmbeddedTarget target;
#pragma warning restore CA1859
            try
            {
                var fleet = new FleetSpec(r.GetValue(profile)!, r.GetValue(servers), Adapters: Adapters, MaxLoras: 1, Seed: r.GetValue(seed));
                target = new SimulatedPolicyTarget(fleet, r.GetValue(profile)!, r.GetValue(seed));
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return 2;
            }

            var workload = Scenarios.Create("embedded", r.GetValue(seed), r.GetValue(requests), Adapters);
            Console.WriteLine("InferenceMesh embedded run");
            Console.WriteLine("  fleet:    " + target.Describe());
            Console.WriteLine("  workload: " + workload.Description);
            Console.WriteLine("  policies: " + string.Join(", ", names));
            Console.WriteLine("  " + label);
            var results = ConsoleUi.WithProgress(names, workload.Requests.Count, progress => target.Run(workload, names, progress));
            ConsoleUi.PrintResults(results);
            if (r.GetValue(output) is { Length: > 0 } path)
            {
                ResultsJson.Write(path, results);
                Console.WriteLine("wrote " + path);
            }

            return 0;
        });
        return root.Parse(args).Invoke();
    }

    /// <summary>least-request against the InferenceMesh policy when one is registered, else the baselines, said plainly.</summary>
    private static (IReadOnlyList<string> Names, string Label) ChoosePolicies(string? requested)
    {
        if (!string.IsNullOrWhiteSpace(requested))
        {
            return ([.. requested.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)], "policies as requested");
        }

        var mesh = PolicyRegistry.List().Select(p => p.Name).Where(n => n.StartsWith("inferencemesh", StringComparison.Ordinal)).ToList();
        if (mesh.Count > 0)
        {
            return (["least-request", .. mesh, "oracle"], "least-request (Envoy default) vs InferenceMesh; oracle = upper bound");
        }

        return (
            ["round-robin", "least-request", "oracle"],
            "NOTE: the InferenceMesh scheduler policies are not wired in yet: baselines only (oracle = simulator-knowledge upper bound, not a real policy)");
    }
}
