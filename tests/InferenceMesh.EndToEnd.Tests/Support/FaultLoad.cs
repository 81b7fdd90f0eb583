using System.Diagnostics;
using System.Globalization;

namespace InferenceMesh.EndToEnd.Tests.Support;

/// <summary>One request of a fault run: what the client saw, and when it started and ended (ms since the run began).</summary>
public sealed record SentRequest(int Index, int Status, string? ServedBy, double StartMs, double EndMs, string Body);

/// <summary>What a fault run saw: every request, and when the fault began and ended (ms since the run began).</summary>
public sealed record FaultRun(IReadOnlyList<SentRequest> Requests, double FaultStartMs, double FaultEndMs)
{
    public int Answered200 => Requests.Count(r => r.Status == 200);

    public IEnumerable<SentRequest> Failed => Requests.Where(r => r.Status != 200);

    /// <summary>Requests in flight when the fault began (started before it, ended after it).</summary>
    public int InFlightAtFault => Requests.Count(r => r.StartMs <= FaultStartMs && r.EndMs >= FaultStartMs);

    public string Summary(string fault) => string.Create(CultureInfo.InvariantCulture,
        $"{fault}: {Requests.Count} requests, {Answered200} answered 200, {Requests.Count - Answered200} errors, fault {FaultStartMs:F0}-{FaultEndMs:F0} ms, " +
        $"in flight at fault {InFlightAtFault}, median latency before/during/after {Median(r => r.EndMs < FaultStartMs):F0}/{Median(r => r.StartMs >= FaultStartMs && r.EndMs <= FaultEndMs):F0}/{Median(r => r.StartMs > FaultEndMs):F0} ms");

    private double Median(Func<SentRequest, bool> which)
    {
        var d = Requests.Where(which).Select(r => r.EndMs - r.StartMs).Order().ToList();
        return d.Count == 0 ? double.NaN : d[d.Count / 2];
    }
}

/// <summary>Closed-loop load through a gateway while a fault happens: <c>workers</c> clients send one request after another;
/// the fault starts after <c>before</c> answers, and the run ends once the fault is over and <c>after</c> more were sent.
/// With <c>sharedPrefix</c> every request opens with the same long system prompt (the prefix index decides where they go);
/// without, each request's system prompt is its own, so the load-aware scorers spread them over every server.</summary>
public static class FaultLoad
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(120) };

    public static async Task<FaultRun> RunAsync(Uri gateway, string tag, Func<Task> fault, int workers = 4, int before = 8, int after = 12, bool sharedPrefix = true)
    {
        var clock = Stopwatch.StartNew();
        var results = new List<SentRequest>();
        var next = -1;
        var answered = 0;
        var sentAfter = 0;
        var faultDone = 0;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A long shared system prompt: several prefix blocks, so the prefix index is used on every request.
        var system = $"You are the {tag} assistant. " + string.Concat(Enumerable.Repeat("Answer briefly. ", 40));

        async Task Worker()
        {
            while (Volatile.Read(ref faultDone) == 0 || Interlocked.Increment(ref sentAfter) <= after)
            {
                var i = Interlocked.Increment(ref next);
                var began = clock.Elapsed.TotalMilliseconds;
                SentRequest sent;
                try
                {
                    var number = i.ToString(CultureInfo.InvariantCulture);
                    var prompt = $"{tag} {number}: " + new string('f', 200 + (i % 7 * 50));
                    var opening = sharedPrefix ? system : number + " " + system;
                    var r = await OpenAi.SendAsync(Http, gateway, DistributedEnsemble.Model, [("system", opening), ("user", prompt)], stream: i % 2 == 1, maxTokens: 12);
                    sent = new SentRequest(i, r.Status, r.ServedBy, began, clock.Elapsed.TotalMilliseconds, r.Status == 200 ? "" : r.Body);
                }
                catch (HttpRequestException e)
                {
                    // A connection reset mid-answer (the server or the ext_proc stream died): the client saw an error.
                    sent = new SentRequest(i, -1, null, began, clock.Elapsed.TotalMilliseconds, e.Message);
                }
                lock (results)
                    results.Add(sent);
                if (Interlocked.Increment(ref answered) == before)
                    start.TrySetResult();
            }
        }

        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(Worker)).ToArray();
        await start.Task.WaitAsync(TimeSpan.FromMinutes(3));
        var faultStart = clock.Elapsed.TotalMilliseconds;
        await fault();
        var faultEnd = clock.Elapsed.TotalMilliseconds;
        Volatile.Write(ref faultDone, 1);
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromMinutes(5));
        lock (results)
            return new FaultRun([.. results.OrderBy(r => r.Index)], faultStart, faultEnd);
    }
}
