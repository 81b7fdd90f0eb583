using System.Globalization;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Workloads;

/// <summary>Seeded workload generators (REFERENCE.md §7). The same parameters and seed give the same workload.</summary>
public static class Generators
{
    /// <summary>
    /// vLLM's <c>random</c> dataset: one shared random prefix of <paramref name="prefix"/> tokens, then input ~ U[L(1−r), L(1+r)]
    /// and output ~ U[O(1−r), O(1+r)]. Closed loop at <paramref name="concurrency"/> when &gt; 0, else open loop at <paramref name="qps"/> (Poisson).
    /// Criticalities, when given, are dealt to requests in a seeded shuffle of equal shares.
    /// </summary>
    public static Workload Random(
        int prefix, int input, int output, double range, int count, int seed,
        int concurrency = 0, double qps = 0, IReadOnlyList<Criticality>? criticalities = null, IReadOnlyList<string>? models = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(input, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(output, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (range is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(range), range, "range ratio must be in [0, 1)");
        }

        var rng = new Random(seed);
        var prefixKey = NextKey(rng);
        var crit = Deal(criticalities, count, rng);
        var requests = new WorkloadRequest[count];
        var t = 0.0;
        for (var i = 0; i < count; i++)
        {
            var inLen = Uniform(rng, input, range);
            var outLen = Uniform(rng, output, range);
            PromptSegment[] segs = prefix > 0
                ? [new PromptSegment(prefixKey, prefix), new PromptSegment(NextKey(rng), inLen)]
                : [new PromptSegment(NextKey(rng), inLen)];
            var arrival = 0.0;
            if (concurrency <= 0 && qps > 0)
            {
                arrival = t;
                t += -Math.Log(1.0 - rng.NextDouble()) * 1000.0 / qps;
            }

            var model = models is { Count: > 0 } ? models[i % models.Count] : string.Empty;
            requests[i] = new WorkloadRequest(i, arrival, segs, outLen, model, crit[i]);
        }

        var desc = string.Create(
            CultureInfo.InvariantCulture,
            $"vLLM random: prefix {prefix}, input {input}, output {output}, range {range}, {count} prompts, {(concurrency > 0 ? $"concurrency {concurrency}" : qps > 0 ? $"{qps} qps" : "all at t=0")}, seed {seed}");
        return new Workload("random", desc, requests, concurrency > 0 ? ArrivalMode.ClosedLoop : ArrivalMode.OpenLoop, concurrency, []);
    }

    /// <summary>
    /// Multi-round QA: each user has the shared system prompt (<paramref name="system"/> tokens) and its own history
    /// (<paramref name="history"/> tokens); every round resends the whole chat plus a new question of
    /// <paramref name="question"/> tokens and gets an answer of <paramref name="answer"/> tokens. User u starts at u/qps
    /// seconds and sends its next round users/qps seconds after its last answer.
    /// </summary>
    public static Workload MultiRoundQa(
        int users, int rounds, double qps, int system, int history, int answer, int seed, int question = 20,
        IReadOnlyList<string>? models = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        if (qps <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(qps), qps, "qps must be > 0");
        }

        var rng = new Random(seed);
        var systemKey = NextKey(rng);
        var think = users / qps * 1000.0;
        var requests = new List<WorkloadRequest>(users * rounds);
        var userKeys = new ulong[users];
        for (var u = 0; u < users; u++)
        {
            userKeys[u] = NextKey(rng);
        }

        // Round-major order so that, at equal times, users interleave like a live chat service.
        var chats = new List<PromptSegment>[users];
        for (var u = 0; u < users; u++)
        {
            chats[u] = [new PromptSegment(systemKey, system), new PromptSegment(userKeys[u], history)];
        }

        var perUserSeeds = new ulong[users];
        for (var u = 0; u < users; u++)
        {
            perUserSeeds[u] = NextKey(rng);
        }

        for (var r = 0; r < rounds; r++)
        {
            for (var u = 0; u < users; u++)
            {
                var chat = chats[u];
                chat.Add(new PromptSegment(PromptBlocks.Mix(perUserSeeds[u] + (ulong)(2 * r)), question));
                var model = models is { Count: > 0 } ? models[u % models.Count] : string.Empty;
                requests.Add(new WorkloadRequest(
                    requests.Count, r == 0 ? u * 1000.0 / qps : 0, [.. chat], answer, model, Criticality.Standard, u, r == 0 ? 0 : think));
                chat.Add(new PromptSegment(PromptBlocks.Mix(perUserSeeds[u] + (ulong)(2 * r) + 1), answer));
            }
        }

        var desc = string.Create(
            CultureInfo.InvariantCulture,
            $"multi-round QA: {users} users, {rounds} rounds, {qps} qps, system {system}, history {history}, question {question}, answer {answer}, seed {seed}");
        return new Workload("multi-round-qa", desc, requests, ArrivalMode.OpenLoop, 0, []);
    }

    /// <summary>
    /// Shared-prefix groups (inference-perf / SGLang generated-shared-prefix): <paramref name="groups"/> × <paramref name="perGroup"/>
    /// prompts, each a group system prompt of <paramref name="system"/> tokens plus its own question of
    /// <paramref name="question"/> tokens, output <paramref name="output"/>; prompts in a seeded random order,
    /// closed loop at <paramref name="concurrency"/> when &gt; 0, else Poisson at <paramref name="qps"/>.
    /// </summary>
    public static Workload SharedPrefix(
        int groups, int perGroup, int system, int question, int output, int seed,
        int concurrency = 0, double qps = 0, IReadOnlyList<string>? models = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perGroup, 1);
        var rng = new Random(seed);
        var groupKeys = new ulong[groups];
        for (var g = 0; g < groups; g++)
        {
            groupKeys[g] = NextKey(rng);
        }

        var order = new int[groups * perGroup];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i / perGroup;
        }

        rng.Shuffle(order);
        var requests = new WorkloadRequest[order.Length];
        var t = 0.0;
        for (var i = 0; i < order.Length; i++)
        {
            var g = order[i];
            var arrival = 0.0;
            if (concurrency <= 0 && qps > 0)
            {
                arrival = t;
                t += -Math.Log(1.0 - rng.NextDouble()) * 1000.0 / qps;
            }

            var model = models is { Count: > 0 } ? models[g % models.Count] : string.Empty;
            requests[i] = new WorkloadRequest(
                i, arrival, [new PromptSegment(groupKeys[g], system), new PromptSegment(NextKey(rng), question)], output, model, Criticality.Standard);
        }

        var desc = string.Create(
            CultureInfo.InvariantCulture,
            $"shared-prefix groups: {groups} groups x {perGroup} prompts, system {system}, question {question}, output {output}, {(concurrency > 0 ? $"concurrency {concurrency}" : $"{qps} qps")}, seed {seed}");
        return new Workload("shared-prefix", desc, requests, concurrency > 0 ? ArrivalMode.ClosedLoop : ArrivalMode.OpenLoop, concurrency, []);
    }

    /// <summary>Merges open-loop workloads into one, re-indexed, in arrival order; sessions are kept apart.</summary>
    public static Workload Merge(string name, params Workload[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var all = new List<(WorkloadRequest R, int Part)>();
        var sessionBase = 0;
        var descs = new List<string>();
        foreach (var p in parts)
        {
            if (p.Mode != ArrivalMode.OpenLoop)
            {
                throw new ArgumentException("only open-loop workloads can be merged", nameof(parts));
            }

            var maxSession = -1;
            foreach (var r in p.Requests)
            {
                all.Add((r.Session >= 0 ? r with { Session = r.Session + sessionBase } : r, all.Count));
                maxSession = Math.Max(maxSession, r.Session);
            }

            sessionBase += maxSession + 1;
            descs.Add(p.Description);
        }

        // Session follow-ups have no timestamp of their own; keep them after their session's earlier rounds.
        var sorted = all.OrderBy(x => x.R.Session >= 0 && x.R.ThinkMs > 0 ? double.MaxValue : x.R.ArrivalMs).ThenBy(x => x.Part).ToArray();
        var requests = new WorkloadRequest[sorted.Length];
        for (var i = 0; i < sorted.Length; i++)
        {
            requests[i] = sorted[i].R with { Index = i };
        }

        return new Workload(name, string.Join(" + ", descs), requests, ArrivalMode.OpenLoop, 0, []);
    }

    private static int Uniform(Random rng, int mean, double range)
    {
        var lo = Math.Max(1, (int)Math.Floor(mean * (1 - range)));
        var hi = Math.Max(lo, (int)Math.Ceiling(mean * (1 + range)));
        return rng.Next(lo, hi + 1);
    }

    private static Criticality[] Deal(IReadOnlyList<Criticality>? kinds, int count, Random rng)
    {
        var result = new Criticality[count];
        if (kinds is not { Count: > 0 })
        {
            Array.Fill(result, Criticality.Standard);
            return result;
        }

        for (var i = 0; i < count; i++)
        {
            result[i] = kinds[i % kinds.Count];
        }

        rng.Shuffle(result);
        return result;
    }

    private static ulong NextKey(Random rng) => (ulong)rng.NextInt64() & ~MooncakeReader.UniqueTag;
}
