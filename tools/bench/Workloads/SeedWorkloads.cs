using System.Globalization;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Workloads;

/// <summary>The seeds' benchmark runs as they ran them (issue 17, docs/benchmarks/seeds.md).</summary>
public static class SeedWorkloads
{
    /// <summary>The LoRA adapter the seeds' Standard client asks for (InferenceModel <c>travel-helper</c> rewrites to it).</summary>
    public const string TravelHelperAdapter = "travel-helper-v1";

    /// <summary>Seed 004: QwQ-32B, vLLM random P1000 L4000 O3000 r0.2, 3,000 prompts, concurrency 60.</summary>
    public static Workload Seed004(int seed, int requests) =>
        Generators.Random(1000, 4000, 3000, 0.2, requests > 0 ? requests : 3000, seed, concurrency: 60) with { Name = "seed-004" };

    /// <summary>Seeds 000/003 priority: two benchmark clients at once, each vLLM random P1000 L3000 O3000 r0.2 with its own
    /// 300 prompts and its own concurrency of 60 — <c>qwen</c> (the base model, Critical) and <c>travel-helper</c> (its LoRA
    /// adapter, Standard). Each client is 60 sessions of back-to-back requests, so each keeps exactly 60 in flight whatever
    /// the other one does (two <c>--max-concurrency 60</c> runs, not one shared window of 120).</summary>
    public static Workload TwoClientPriority(int seed, int requests)
    {
        var perClient = requests > 0 ? Math.Max(1, requests / 2) : 300;
        const int Concurrency = 60;
        var critical = Generators.Random(1000, 3000, 3000, 0.2, perClient, seed, concurrency: Concurrency,
            criticalities: [Criticality.Critical]);
        var standard = Generators.Random(1000, 3000, 3000, 0.2, perClient, seed + 1, concurrency: Concurrency,
            criticalities: [Criticality.Standard], models: [TravelHelperAdapter]);

        // Interleave the clients so neither's first window reaches the picker first; request k of a client belongs to its
        // session k mod 60, released when that session's previous answer arrives.
        var list = new WorkloadRequest[perClient * 2];
        for (var k = 0; k < perClient; k++)
        {
            var slot = k % Concurrency;
            list[2 * k] = critical.Requests[k] with { Index = 2 * k, ArrivalMs = 0, Session = slot, ThinkMs = 0 };
            list[(2 * k) + 1] = standard.Requests[k] with { Index = (2 * k) + 1, ArrivalMs = 0, Session = Concurrency + slot, ThinkMs = 0 };
        }

        var desc = string.Create(CultureInfo.InvariantCulture,
            $"two clients at once, each vLLM random P1000 L3000 O3000 r0.2, {perClient} prompts, concurrency {Concurrency}: qwen (Critical) and {TravelHelperAdapter} (Standard), seed {seed}");
        return new Workload("seed-priority", desc, list, ArrivalMode.OpenLoop, Concurrency * 2, []);
    }
}
