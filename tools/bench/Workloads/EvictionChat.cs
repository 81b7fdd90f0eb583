using System.Globalization;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Workloads;

/// <summary>
/// <c>eviction-chat</c>: chat sessions that come and go, like the Mooncake conversation trace but generated (tests and
/// runs need no trace). Sessions start as a Poisson process; each uses one of a few applications' system prompts, attaches
/// its own document on the first turn, then asks follow-up questions, resending the whole chat every turn after a think
/// time. Old sessions end and new ones start, so the live working set keeps moving and, on small servers, exceeds their KV
/// cache: the servers evict all the time, and which prefix survives where depends on the engines' own memory pressure —
/// the case where an index that guesses evictions goes stale.
/// </summary>
public static class EvictionChat
{
    /// <summary>Scenario name.</summary>
    public const string Name = "eviction-chat";

    /// <summary>What the default parameters are.</summary>
    public const string Description =
        "chat sessions coming and going (Poisson 0.5 sessions/s, 4-12 turns, think 20 s mean), 8 app system prompts of 1,500 tokens, a 3,000-token document per session, question 150, answer 250; 600 sessions";

    private const int Apps = 8;
    private const int SystemTokens = 1500;
    private const int DocumentTokens = 3000;
    private const int QuestionTokens = 150;
    private const int AnswerTokens = 250;
    private const int MinTurns = 4;
    private const int MaxTurns = 12;
    private const double SessionsPerSecond = 0.5;
    private const double MeanThinkMs = 20_000;
    private const int DefaultSessions = 600;

    /// <summary>The scenario; <paramref name="requests"/> &gt; 0 sizes the session count (about 8 turns each).</summary>
    public static Workload Create(int seed, int requests = 0)
    {
        var sessions = requests > 0 ? Math.Max(1, requests / ((MinTurns + MaxTurns) / 2)) : DefaultSessions;
        var rng = new Random(seed);
        var apps = new ulong[Apps];
        for (var a = 0; a < Apps; a++)
            apps[a] = NextKey(rng);
        var chats = new List<PromptSegment>[sessions];
        var turns = new int[sessions];
        var starts = new double[sessions];
        var t = 0.0;
        for (var s = 0; s < sessions; s++)
        {
            starts[s] = t;
            t += -Math.Log(1.0 - rng.NextDouble()) * 1000.0 / SessionsPerSecond;
            turns[s] = rng.Next(MinTurns, MaxTurns + 1);
            chats[s] = [new PromptSegment(apps[rng.Next(Apps)], SystemTokens), new PromptSegment(NextKey(rng), DocumentTokens)];
        }

        // Turn-major order: a session's turns keep their order, and first turns are in start order.
        var requestsList = new List<WorkloadRequest>();
        for (var turn = 0; turn < MaxTurns; turn++)
        {
            for (var s = 0; s < sessions; s++)
            {
                if (turn >= turns[s])
                    continue;
                var chat = chats[s];
                chat.Add(new PromptSegment(NextKey(rng), QuestionTokens));
                var think = turn == 0 ? 0 : -Math.Log(1.0 - rng.NextDouble()) * MeanThinkMs;
                requestsList.Add(new WorkloadRequest(requestsList.Count, turn == 0 ? starts[s] : 0, [.. chat], AnswerTokens, string.Empty,
                    Criticality.Standard, s, think));
                chat.Add(new PromptSegment(NextKey(rng), AnswerTokens));
            }
        }

        var desc = string.Create(CultureInfo.InvariantCulture,
            $"eviction-chat: {sessions} sessions (Poisson {SessionsPerSecond}/s, {MinTurns}-{MaxTurns} turns, think {MeanThinkMs / 1000} s mean), {Apps} app system prompts of {SystemTokens} tokens, document {DocumentTokens}, question {QuestionTokens}, answer {AnswerTokens}, seed {seed}");
        return new Workload(Name, desc, requestsList, ArrivalMode.OpenLoop, 0, []);
    }

    private static ulong NextKey(Random rng) => (ulong)rng.NextInt64() & ~MooncakeReader.UniqueTag;
}
