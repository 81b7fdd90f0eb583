using System.Globalization;
using InferenceMesh.EndToEnd.Tests.Support;

namespace InferenceMesh.EndToEnd.Tests;

/// <summary>The four services as separate processes with Dapr stand-in sidecars on a real redis-server (two replicas of
/// ext-proc, scheduler and prefix-index), the simulated fleet and a gateway per ext-proc replica; real OpenAI requests.</summary>
[Trait("Category", "EndToEnd")]
[Collection(DistributedGroup.Name)]
public sealed class DistributedTests(DistributedEnsemble ensemble)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(120) };

    [Fact]
    public async Task Requests_StreamingAndNot_ThroughBothExtProcReplicas_AllSucceedOnFleetEndpoints()
    {
        var tasks = new List<Task<OpenAiResult>>();
        for (var i = 0; i < 16; i++)
        {
            var gateway = ensemble.Gateways[i % 2];
            var model = i % 3 == 2 ? DistributedEnsemble.Adapter : DistributedEnsemble.Model;
            var prompt = $"request {i.ToString(CultureInfo.InvariantCulture)}: " + new string('x', 200 + (i * 37));
            tasks.Add(OpenAi.SendAsync(Http, gateway, model, [("user", prompt)], stream: i % 2 == 0, maxTokens: 8));
        }
        var results = await Task.WhenAll(tasks);

        for (var i = 0; i < results.Length; i++)
        {
            var r = results[i];
            Assert.True(r.Status == 200, $"request {i}: HTTP {r.Status} {r.Body}\n{ensemble.Logs()}");
            Assert.Contains(r.ServedBy, ensemble.Endpoints);
            Assert.Equal(8, r.CompletionTokens);
            if (i % 2 == 0)
                Assert.True(r.SawDone, $"request {i}: the stream did not end with [DONE]");
        }
    }

    [Fact]
    public async Task InferenceModelFromThePoolFile_RewritesTheAlias_AndThePoolAnnotationSetsTheProfile()
    {
        // The simulated servers know only the adapter's name: a 200 means ext-proc rewrote the alias from the pool file.
        for (var i = 0; i < 2; i++)
        {
            var r = await OpenAi.SendAsync(Http, ensemble.Gateways[i], DistributedEnsemble.AdapterAlias, [("user", "list the tables")], stream: false, maxTokens: 4);
            Assert.True(r.Status == 200, $"replica {i}: HTTP {r.Status} {r.Body}\n{ensemble.Logs()}");
            Assert.Contains(r.ServedBy, ensemble.Endpoints);
            Assert.Contains($"\"model\":\"{DistributedEnsemble.AdapterAlias}\"", r.Body, StringComparison.Ordinal);
        }

        // No Scheduler__Pools entry is set: PREFIX_CACHE (→ the PREFILL_WORK profile) comes from the InferencePool annotation.
        // Every live replica (another test kills one) reads it.
        var answered = 0;
        foreach (var scheduler in ensemble.SchedulerAddresses)
        {
            string queue;
            try
            {
                queue = await ensemble.GetFromAppAsync(Http, new Uri(scheduler, "queue"));
            }
            catch (HttpRequestException)
            {
                continue;
            }
            answered++;
            Assert.Contains("\"profile\":\"PREFILL_WORK\"", queue, StringComparison.Ordinal);
        }
        Assert.True(answered > 0, "no scheduler replica answered GET /queue");
    }

    [Fact]
    public async Task StreamedCompletions_MeasureTheServersDecodeSpeed_InEverySchedulerReplica()
    {
        // 30 streamed requests over at most 5 servers: one server serves at least 6, past the 4 measurements a speed needs;
        // 200 output tokens each, so the decode lasts past the ensemble's MinDecodeMs (200 ms; ≈ 2 ms a token here).
        var tasks = new List<Task<OpenAiResult>>();
        for (var i = 0; i < 30; i++)
        {
            var prompt = $"speed {i.ToString(CultureInfo.InvariantCulture)} " + new string('s', 100 + (i * 13));
            tasks.Add(OpenAi.SendAsync(Http, ensemble.Gateways[i % 2], DistributedEnsemble.Model, [("user", prompt)], stream: true, maxTokens: 200));
        }
        foreach (var r in await Task.WhenAll(tasks))
            Assert.True(r.Status == 200, $"HTTP {r.Status} {r.Body}\n{ensemble.Logs()}");

        // ext-proc reports each stream's first-token time; the dispatching replica and, by the completions fan-out, the
        // other one fold it into the server's decode speed (GET /pool). Every live replica (another test kills one) has it.
        var answered = 0;
        foreach (var scheduler in ensemble.SchedulerAddresses)
        {
            try
            {
                await ensemble.GetFromAppAsync(Http, new Uri(scheduler, "pool"));
            }
            catch (HttpRequestException)
            {
                continue;
            }
            answered++;
            await Poll.UntilAsync(async () => (await ensemble.GetFromAppAsync(Http, new Uri(scheduler, "pool"))).Contains("\"decodeMsPerToken\":", StringComparison.Ordinal),
                $"scheduler {scheduler} to show a measured decode speed");
        }
        Assert.True(answered > 0, "no scheduler replica answered GET /pool");
    }

    [Fact]
    public async Task MultiTurnConversation_AlternatingExtProcReplicas_StaysOnTheServerHoldingItsPrefix()
    {
        // A long system prompt makes the prefix worth following (several 64-character blocks).
        var history = new List<(string Role, string Content)>
        {
            ("system", "You are the conversation " + Guid.NewGuid().ToString("N") + ". " + string.Concat(Enumerable.Repeat("Answer briefly and precisely. ", 200))),
        };
        var served = new List<string?>();
        for (var turn = 0; turn < 6; turn++)
        {
            history.Add(("user", $"Question {turn.ToString(CultureInfo.InvariantCulture)}: " + new string('q', 300)));
            var r = await OpenAi.SendAsync(Http, ensemble.Gateways[turn % 2], DistributedEnsemble.Model, history, stream: turn % 2 == 0, maxTokens: 16);
            Assert.True(r.Status == 200, $"turn {turn}: HTTP {r.Status} {r.Body}\n{ensemble.Logs()}");
            served.Add(r.ServedBy);
            history.Add(("assistant", r.Content));
        }

        Assert.Contains(served[0], ensemble.Endpoints);
        Assert.All(served, s => Assert.Equal(served[0], s));
    }

    [Fact]
    public async Task SchedulerReplicaKilled_MidRun_NoRequestIsLost()
    {
        const int total = 36;
        var completed = 0;
        var results = new OpenAiResult[total];
        var killed = new TaskCompletionSource();
        var next = -1;

        async Task Worker()
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= total)
                    return;
                var prompt = $"kill run {i.ToString(CultureInfo.InvariantCulture)} " + new string('k', 400);
                results[i] = await OpenAi.SendAsync(Http, ensemble.Gateways[i % 2], DistributedEnsemble.Model, [("user", prompt)], stream: i % 2 == 1, maxTokens: 24);
                if (Interlocked.Increment(ref completed) == 8)
                    killed.TrySetResult();
            }
        }

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(Worker)).ToArray();
        await killed.Task.WaitAsync(TimeSpan.FromMinutes(3));
        // SIGKILL while the workers keep sending: requests in flight at the replica and every later one routed to it.
        await ensemble.Schedulers[0].KillAsync();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(5));

        Assert.True(ensemble.Schedulers[0].HasExited);
        for (var i = 0; i < total; i++)
        {
            var r = results[i];
            Assert.True(r.Status == 200, $"request {i}: HTTP {r.Status} {r.Body}\n{ensemble.Logs()}");
            Assert.Contains(r.ServedBy, ensemble.Endpoints);
        }
    }
}
