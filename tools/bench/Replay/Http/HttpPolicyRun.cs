using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Replay.Http;

/// <summary>
/// One policy's replay against real HTTP endpoints (OpenAI-compatible, vLLM metrics), in wall time: arrivals are
/// released at trace time ÷ <c>timeScale</c>, streaming <c>/v1/completions</c> measure TTFT and end-to-end, and the
/// picker's view comes from scraping <c>/metrics</c>. Latencies are reported in fleet time (wall × timeScale), which for
/// vllm-sim run at the same time scale is its simulated time.
/// </summary>
internal sealed class HttpPolicyRun
{
    private readonly Workload workload;
    private readonly IRoutingPolicy policy;
    private readonly IReadOnlyList<Uri> endpoints;
    private readonly string[] addresses;
    private readonly HttpClient http;
    private readonly string baseModel;
    private readonly double scale;
    private readonly ReplayOptions options;
    private readonly Action<ReplayProgress>? progress;
    private readonly RunRecord rec;
    private readonly FleetView view;
    private readonly Lock gate = new();
    private readonly Stopwatch clock = new();
    private readonly int[] nextInSession;
    private readonly bool[] followUp;
    private readonly List<Task> running = [];
    private int done;

    public HttpPolicyRun(
        Workload workload, IRoutingPolicy policy, IReadOnlyList<Uri> endpoints, HttpClient http, string baseModel, double timeScale,
        ReplayOptions options, Action<ReplayProgress>? progress)
    {
        this.workload = workload;
        this.policy = policy;
        this.endpoints = endpoints;
        this.http = http;
        this.baseModel = baseModel;
        scale = timeScale;
        this.options = options;
        this.progress = progress;
        addresses = [.. endpoints.Select(u => u.Authority)];
        rec = new RunRecord(workload, endpoints.Count, options);
        var metrics = new EndpointMetrics[endpoints.Count];
        for (var i = 0; i < metrics.Length; i++)
        {
            metrics[i] = new EndpointMetrics(addresses[i], 0, 0, 0, [], [], 0, 0, 0, 0, EndpointHealth.Stale);
        }

        view = new FleetView(metrics, new int[endpoints.Count]);
        var n = workload.Requests.Count;
        nextInSession = new int[n];
        Array.Fill(nextInSession, -1);
        followUp = new bool[n];
        var last = new Dictionary<int, int>();
        for (var i = 0; i < n; i++)
        {
            var s = workload.Requests[i].Session;
            if (s < 0)
            {
                continue;
            }

            if (last.TryGetValue(s, out var prev))
            {
                nextInSession[prev] = i;
                followUp[i] = true;
            }

            last[s] = i;
        }
    }

    private double NowMs => clock.Elapsed.TotalMilliseconds * scale;

    public async Task<PolicyResult> RunAsync(CancellationToken ct)
    {
        var before = await ScrapeAllAsync(ct).ConfigureAwait(false);
        clock.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var scraper = ScrapeLoopAsync(stop.Token);

        // Disposed only after every request (and its release continuation) has finished.
        using var window = new SemaphoreSlim(Math.Max(1, workload.Concurrency));
        if (workload.Mode == ArrivalMode.ClosedLoop)
        {
            for (var i = 0; i < workload.Requests.Count; i++)
            {
                if (followUp[i])
                {
                    continue;
                }

                await window.WaitAsync(ct).ConfigureAwait(false);
                Track(RequestChainAsync(i, ct).ContinueWith(_ => window.Release(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default));
            }
        }
        else
        {
            for (var i = 0; i < workload.Requests.Count; i++)
            {
                if (followUp[i])
                {
                    continue;
                }

                var wait = (workload.Requests[i].ArrivalMs - NowMs) / scale;
                if (wait > 1)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), ct).ConfigureAwait(false);
                }

                Track(RequestChainAsync(i, ct));
            }
        }

        while (true)
        {
            Task[] pending;
            lock (gate)
            {
                pending = [.. running];
            }

            await Task.WhenAll(pending).ConfigureAwait(false);
            lock (gate)
            {
                if (running.Count == pending.Length)
                {
                    break;
                }
            }
        }

        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await scraper.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        var after = await ScrapeAllAsync(ct).ConfigureAwait(false);
        var counters = new ServerCounters[endpoints.Count];
        for (var s = 0; s < counters.Length; s++)
        {
            // Counters are cumulative since the server started: report this run's share.
            counters[s] = new ServerCounters(
                after[s].PrefixQueries - before[s].PrefixQueries,
                after[s].PrefixHits - before[s].PrefixHits,
                after[s].Metrics.KvUsage,
                after[s].Preemptions - before[s].Preemptions);
        }

        rec.AppendRequests(policy.Name);
        return rec.Summarise(policy.Name, addresses, counters);
    }

    private void Track(Task t)
    {
        lock (gate)
        {
            running.Add(t);
        }
    }

    /// <summary>A request and, for a session, every later round after its answer plus think time.</summary>
    private async Task RequestChainAsync(int i, CancellationToken ct)
    {
        while (i >= 0)
        {
            await OneAsync(i, ct).ConfigureAwait(false);
            var next = nextInSession[i];
            if (next >= 0)
            {
                var think = workload.Requests[next].ThinkMs / scale;
                if (think > 1)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(think), ct).ConfigureAwait(false);
                }
            }

            i = next;
        }
    }

    private async Task OneAsync(int i, CancellationToken ct)
    {
        var r = workload.Requests[i];
        var arrival = NowMs;
        rec.Arrival[i] = arrival;
        var routing = new RoutingRequest(
            i, "r" + i.ToString(CultureInfo.InvariantCulture), r.Model, r.Criticality,
            PromptBlocks.BlockHashes(r.Segments, PromptBlocks.ModelSalt(r.Model)), r.InputTokens, r.OutputTokens, arrival);
        int pick;
        while (true)
        {
            lock (gate)
            {
                view.NowMs = NowMs;
                pick = policy.Pick(routing, view);
                if (pick >= 0)
                {
                    view.OutstandingArray[pick]++;
                    rec.RequestsPerServer[pick]++;
                    rec.Server[i] = pick;
                    rec.Dispatched[i] = NowMs;
                    policy.OnDispatched(routing, pick, view);
                }
            }

            if (pick != Picks.Defer)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, options.ScrapeIntervalMs / scale)), ct).ConfigureAwait(false);
        }

        if (Picks.StatusOf(pick) is > 0 and var refused)
        {
            Finish(i, routing, -1, refused, NowMs, 0, 0);
            return;
        }

        var (status, outTokens, cached) = await SendAsync(i, pick, r, ct).ConfigureAwait(false);
        Finish(i, routing, pick, status, NowMs, outTokens, cached);
    }

    private async Task<(int Status, int OutputTokens, int Cached)> SendAsync(int i, int server, WorkloadRequest r, CancellationToken ct)
    {
        using var body = new MemoryStream((r.InputTokens * 4) + 256);
        using (var w = new Utf8JsonWriter(body))
        {
            w.WriteStartObject();
            w.WriteString("model", r.Model.Length == 0 ? baseModel : r.Model);
            w.WriteString("prompt", PromptText.Build(r.Segments));
            w.WriteNumber("max_tokens", r.OutputTokens);
            w.WriteBoolean("stream", true);
            w.WriteStartObject("stream_options");
            w.WriteBoolean("include_usage", true);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        using var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoints[server], "v1/completions")) { Content = content };
        request.Headers.Add("x-request-id", "r" + i.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("x-sim-output-tokens", r.OutputTokens.ToString(CultureInfo.InvariantCulture));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return ((int)response.StatusCode, 0, 0);
            }

            using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            int outTokens = 0, cached = 0;
            string? line;
            while ((line = await reader.ReadLineAsync(ct).ConfigureAwait(false)) is not null)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]")
                {
                    continue;
                }

                using var doc = JsonDocument.Parse(line.AsMemory(6));
                var root = doc.RootElement;
                if (double.IsNaN(rec.FirstToken[i]) && root.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
                    && choices[0].TryGetProperty("text", out var text) && text.GetString() is { Length: > 0 })
                {
                    rec.FirstToken[i] = NowMs;
                }

                if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    outTokens = usage.GetProperty("completion_tokens").GetInt32();
                    if (usage.TryGetProperty("prompt_tokens_details", out var d) && d.ValueKind == JsonValueKind.Object
                        && d.TryGetProperty("cached_tokens", out var c))
                    {
                        cached = c.GetInt32();
                    }
                }
            }

            return (200, outTokens, cached);
        }
        catch (HttpRequestException)
        {
            return (502, 0, 0);
        }
    }

    private void Finish(int i, RoutingRequest routing, int server, int status, double now, int outTokens, int cached)
    {
        rec.Finished[i] = now;
        rec.Status[i] = status;
        rec.OutputTokens[i] = outTokens;
        rec.CachedTokens[i] = cached;
        lock (gate)
        {
            if (server >= 0)
            {
                view.OutstandingArray[server]--;
            }

            var ttft = double.IsNaN(rec.FirstToken[i]) ? double.NaN : rec.FirstToken[i] - rec.Arrival[i];
            policy.OnCompleted(routing, server, new RequestOutcome(status, ttft, now - rec.Arrival[i], outTokens, cached));
            var count = ++done;

            // Under the lock: progress sinks are not thread-safe.
            if ((count & 15) == 0 || count == workload.Requests.Count)
            {
                progress?.Invoke(new ReplayProgress(policy.Name, count, workload.Requests.Count, now));
            }
        }
    }

    private async Task ScrapeLoopAsync(CancellationToken ct)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Max(5, options.ScrapeIntervalMs / scale));
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            var snaps = await ScrapeAllAsync(ct).ConfigureAwait(false);
            var usage = new double[snaps.Length];
            lock (gate)
            {
                for (var s = 0; s < snaps.Length; s++)
                {
                    view.MetricsArray[s] = snaps[s].Metrics;
                    usage[s] = snaps[s].Metrics.KvUsage;
                }

                rec.SampleKv(usage);
            }
        }
    }

    private async Task<VllmMetricsText.Snapshot[]> ScrapeAllAsync(CancellationToken ct)
    {
        var tasks = new Task<string>[endpoints.Count];
        for (var s = 0; s < tasks.Length; s++)
        {
            tasks[s] = http.GetStringAsync(new Uri(endpoints[s], "metrics"), ct);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var now = (long)NowMs;
        var result = new VllmMetricsText.Snapshot[tasks.Length];
        for (var s = 0; s < tasks.Length; s++)
        {
            result[s] = VllmMetricsText.Parse(addresses[s], await tasks[s].ConfigureAwait(false), now);
        }

        return result;
    }
}
