using System.Globalization;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Workloads;

/// <summary>
/// An overloaded, eviction-heavy mix (issue 15, docs/benchmarks/goodput.md): <b>agent sessions</b> — a system prompt of
/// tool definitions shared by every agent, the agent's own task, then steps that each resend the whole context plus the
/// previous step's answer and tool output (the context grows by 0.5–3k tokens a step), the next step a tool call's time
/// after the answer — and <b>document-QA groups</b> — a long document asked several questions within a short window, each
/// question a separate request (shared QA instructions + the document + the question). Agents and documents start as
/// Poisson processes. The working set (every live agent's context + every document being asked about) is several times
/// the KV cache of a few A10s, so placement decides how much prefill is recomputed after eviction.
/// Deterministic in the seed.
/// </summary>
public static class AgenticDocQa
{
    /// <summary>Scenario name.</summary>
    public const string Name = "agentic-docqa";

    /// <summary>One-line description for <c>bench workloads</c>.</summary>
    public const string Summary =
        "overloaded eviction-heavy mix for 3 x A10: agent sessions (shared 3k tool prompt + own 1.5k task, 6-14 steps each adding 0.5-3k tokens) "
        + "+ document-QA groups (6-16k-token documents, 4-12 questions each within ~1 min); about 2,400 requests, deterministic in --seed";

    private const int ToolPromptTokens = 3000;
    private const int TaskTokens = 1500;
    private const int QaInstructionTokens = 300;
    private const int QuestionTokens = 40;

    /// <summary>Agents started per second (Poisson).</summary>
    private const double AgentsPerS = 0.25;

    /// <summary>Documents started per second (Poisson).</summary>
    private const double DocumentsPerS = 0.3;

    /// <summary>Builds the mix; <paramref name="requests"/> &gt; 0 scales it to about that many requests (half agent steps,
    /// half questions), else about 2,400.</summary>
    public static Workload Create(int seed, int requests = 0)
    {
        var target = requests > 0 ? requests : 2400;
        var agents = Math.Max(1, target / 2 / 10);
        var documents = Math.Max(1, target / 2 / 8);
        var agentPart = Agents(agents, new Random(seed));
        var docPart = Documents(documents, new Random(seed + 1));
        var merged = Generators.Merge(Name, agentPart, docPart);
        var desc = string.Create(CultureInfo.InvariantCulture,
            $"agentic + document QA: {agents} agents ({AgentsPerS}/s, tool prompt {ToolPromptTokens} shared, task {TaskTokens}, 6-14 steps of +0.5-3k tokens, answers 100-400), "
            + $"{documents} documents ({DocumentsPerS}/s, 6-16k tokens, 4-12 questions each, answers 100-300), seed {seed}");
        return merged with { Description = desc };
    }

    private static Workload Agents(int agents, Random rng)
    {
        var toolKey = NextKey(rng);
        var requests = new List<WorkloadRequest>(agents * 10);
        var start = 0.0;
        for (var a = 0; a < agents; a++)
        {
            start += Exponential(rng, 1000.0 / AgentsPerS);
            var steps = rng.Next(6, 15);
            List<PromptSegment> context = [new(toolKey, ToolPromptTokens), new(NextKey(rng), TaskTokens)];
            for (var s = 0; s < steps; s++)
            {
                var answer = rng.Next(100, 401);
                var think = s == 0 ? 0 : 500 + (rng.NextDouble() * 2500);
                requests.Add(new WorkloadRequest(requests.Count, s == 0 ? start : 0, [.. context], answer, string.Empty, Criticality.Standard, a, think));
                context.Add(new PromptSegment(NextKey(rng), answer));
                context.Add(new PromptSegment(NextKey(rng), rng.Next(500, 3001)));
            }
        }

        return new Workload("agents", "agents", requests, ArrivalMode.OpenLoop, 0, []);
    }

    private static Workload Documents(int documents, Random rng)
    {
        var instructionKey = NextKey(rng);
        var requests = new List<WorkloadRequest>(documents * 8);
        var start = 0.0;
        for (var d = 0; d < documents; d++)
        {
            start += Exponential(rng, 1000.0 / DocumentsPerS);
            var doc = new PromptSegment(NextKey(rng), rng.Next(6000, 16001));
            var questions = rng.Next(4, 13);
            var at = start;
            for (var q = 0; q < questions; q++)
            {
                requests.Add(new WorkloadRequest(requests.Count, at,
                    [new PromptSegment(instructionKey, QaInstructionTokens), doc, new PromptSegment(NextKey(rng), QuestionTokens)],
                    rng.Next(100, 301), string.Empty, Criticality.Standard));
                at += Exponential(rng, 6000);
            }
        }

        requests.Sort((x, y) => x.ArrivalMs.CompareTo(y.ArrivalMs));
        for (var i = 0; i < requests.Count; i++)
        {
            requests[i] = requests[i] with { Index = i };
        }

        return new Workload("documents", "documents", requests, ArrivalMode.OpenLoop, 0, []);
    }

    private static double Exponential(Random rng, double meanMs) => -Math.Log(1.0 - rng.NextDouble()) * meanMs;

    private static ulong NextKey(Random rng) => (ulong)rng.NextInt64() & ~MooncakeReader.UniqueTag;
}
