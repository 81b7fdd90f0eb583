using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Workloads;

/// <summary>Named generated workloads with the seeds' parameters (REFERENCE.md §7).</summary>
public static class Scenarios
{
    /// <summary>Scenario names and what they are.</summary>
    public static IReadOnlyDictionary<string, string> Descriptions { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["priority"] = "vLLM random P1000 L3000 O3000 r0.2, 300 prompts, concurrency 60, half Critical half Standard",
        ["priority-sheddable"] = "as priority, a third each Critical, Standard and Sheddable",
        ["load-balancing"] = "vLLM random P10 L1550 O1800 r0.2, 3000 prompts, concurrency 200",
        ["multi-round-qa"] = "8 users x 15 rounds, qps 0.1, system 100, history 2000, answer 100",
        ["shared-prefix"] = "150 groups x 5 prompts, system 6000, question 1200, output 1000, concurrency 60 (llm-d)",
        ["qwq"] = "vLLM random P1000 L4000 O3000 r0.2, 300 prompts, concurrency 60",
        ["seed-004"] = "seed 004 (QwQ-32B): vLLM random P1000 L4000 O3000 r0.2, 3000 prompts, concurrency 60 (use --profile qwq-32b-tp4-a10 --servers 5)",
        ["seed-priority"] = "seeds 000/003: two clients at once, qwen Critical + travel-helper-v1 Standard, each P1000 L3000 O3000 r0.2, 300 prompts, concurrency 60 (use --lora-adapters travel-helper-v1 --max-loras 2)",
        [EvictionChat.Name] = EvictionChat.Description,
        [AgenticDocQa.Name] = AgenticDocQa.Summary,
        ["embedded"] = "multi-round QA (8 users x 6 rounds, qps 1) + shared-prefix groups (12 x 6, 2 qps) over a base model and two LoRA adapters",
    };

    /// <summary>Builds a scenario; <paramref name="requests"/> &gt; 0 overrides the prompt count where the scenario has one.</summary>
    public static Workload Create(string name, int seed, int requests = 0, IReadOnlyList<string>? adapters = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name switch
        {
            "priority" => Generators.Random(1000, 3000, 3000, 0.2, Count(requests, 300), seed, concurrency: 60,
                criticalities: [Criticality.Critical, Criticality.Standard]) with { Name = name },
            "priority-sheddable" => Generators.Random(1000, 3000, 3000, 0.2, Count(requests, 300), seed, concurrency: 60,
                criticalities: [Criticality.Critical, Criticality.Standard, Criticality.Sheddable]) with { Name = name },
            "load-balancing" => Generators.Random(10, 1550, 1800, 0.2, Count(requests, 3000), seed, concurrency: 200) with { Name = name },
            "multi-round-qa" => Generators.MultiRoundQa(8, requests > 0 ? Math.Max(1, requests / 8) : 15, 0.1, 100, 2000, 100, seed) with { Name = name },
            "shared-prefix" => Generators.SharedPrefix(requests > 0 ? Math.Max(1, requests / 5) : 150, 5, 6000, 1200, 1000, seed, concurrency: 60) with { Name = name },
            "qwq" => Generators.Random(1000, 4000, 3000, 0.2, Count(requests, 300), seed, concurrency: 60) with { Name = name },
            "seed-004" => SeedWorkloads.Seed004(seed, requests),
            "seed-priority" => SeedWorkloads.TwoClientPriority(seed, requests),
            AgenticDocQa.Name => AgenticDocQa.Create(seed, requests),
            "embedded" => Embedded(seed, requests, adapters ?? []),
            EvictionChat.Name => EvictionChat.Create(seed, requests),
            _ => throw new ArgumentException($"unknown workload '{name}'; known: {string.Join(", ", Descriptions.Keys)}", nameof(name)),
        };
    }

    private static Workload Embedded(int seed, int requests, IReadOnlyList<string> adapters)
    {
        // Half the load per part; models cycle over the base model and the adapters so LoRA placement matters.
        var models = new List<string> { string.Empty };
        models.AddRange(adapters);
        var rounds = requests > 0 ? Math.Max(1, requests / 16) : 6;
        var qa = Generators.MultiRoundQa(8, rounds, 1.0, 100, 2000, 100, seed, models: models);
        var groups = requests > 0 ? Math.Max(1, requests / 12) : 12;
        var sp = Generators.SharedPrefix(groups, 6, 3000, 200, 200, seed + 1, qps: 2, models: models);
        return Generators.Merge("embedded", qa, sp);
    }

    private static int Count(int requested, int fallback) => requested > 0 ? requested : fallback;
}
