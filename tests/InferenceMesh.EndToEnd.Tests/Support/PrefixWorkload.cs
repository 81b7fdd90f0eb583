using System.Globalization;

namespace InferenceMesh.EndToEnd.Tests.Support;

/// <summary>The prefix-heavy conversations of the replica tests (each with its own long system prompt, every turn
/// resending the whole history) and the model servers' own prefix-cache counters.</summary>
internal static class PrefixWorkload
{
    public static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(120) };

    /// <summary>A conversation's opening: a system prompt no other conversation shares, so its first turn never hits.</summary>
    public static List<(string Role, string Content)> Start(string tag, int conversation) =>
    [
        ("system", $"Conversation {tag}-{conversation.ToString(CultureInfo.InvariantCulture)}. " + string.Concat(Enumerable.Repeat("Answer briefly and precisely. ", 60))),
    ];

    /// <summary>Sends the next question with the whole history through <paramref name="gateway"/> and appends the answer.</summary>
    public static async Task TurnAsync(DistributedEnsemble ensemble, Uri gateway, List<(string Role, string Content)> history, int turn)
    {
        history.Add(("user", $"Question {turn.ToString(CultureInfo.InvariantCulture)}: " + new string('q', 200)));
        var r = await OpenAi.SendAsync(Http, gateway, DistributedEnsemble.Model, history, stream: turn % 2 == 0, maxTokens: 16);
        Xunit.Assert.True(r.Status == 200, $"turn {turn} through {gateway}: HTTP {r.Status} {r.Body}\n{ensemble.Logs()}");
        history.Add(("assistant", r.Content));
    }

    /// <summary>Σ <c>vllm:prefix_cache_hits_total</c> and Σ <c>vllm:prefix_cache_queries_total</c> over the ensemble's servers.</summary>
    public static async Task<(double Hits, double Queries)> CountersAsync(DistributedEnsemble ensemble)
    {
        double hits = 0, queries = 0;
        foreach (var endpoint in ensemble.Endpoints)
        {
            var text = await Http.GetStringAsync(new Uri($"http://{endpoint}/metrics"));
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("vllm:prefix_cache_hits_total", StringComparison.Ordinal))
                    hits += Value(line);
                else if (line.StartsWith("vllm:prefix_cache_queries_total", StringComparison.Ordinal))
                    queries += Value(line);
            }
        }
        return (hits, queries);
    }

    private static double Value(string line) => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
}
