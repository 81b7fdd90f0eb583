using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using InferenceMesh.Bench.Replay.Http;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Embedded.Replay;

/// <summary>
/// Replays a workload as real OpenAI HTTP requests through a gateway, open loop: each request leaves at its arrival time
/// divided by the time scale; a conversation's next turn leaves after the previous answer plus the think time. Three in
/// four requests stream (TTFT is measured on those, at the first content chunk); the rest are plain JSON.
/// </summary>
internal sealed class GatewayReplay(HttpClient http, string baseModel, double timeScale)
{
    /// <summary>Header the development gateway sets to the endpoint that served the request.</summary>
    public const string ServedByHeader = "x-inferencemesh-served-by";

    /// <summary>A few small requests with prompts no workload shares (streamed and not, base model and an adapter), so that
    /// JIT compilation, connection set-up and LoRA first loads are not charged to the first policy measured.</summary>
    public async Task WarmUpAsync(IReadOnlyList<string> models, int rounds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(models);
        for (var round = 0; round < rounds; round++)
        {
            var batch = new List<Task<RequestRecord>>();
            for (var m = 0; m < models.Count; m++)
            {
                var segments = new[] { new PromptSegment(0xFEED_0000_0000UL + (ulong)(round * 64) + (ulong)m, 32) };
                var r = new WorkloadRequest((round * models.Count) + m, 0, segments, 4, models[m], Contracts.Criticality.Standard);
                batch.Add(SendAsync(r, Stopwatch.StartNew(), ct));
            }
            foreach (var record in await Task.WhenAll(batch).ConfigureAwait(false))
            {
                if (record.Error is not null || record.Status is < 200 or >= 300)
                    throw new InvalidOperationException($"warm-up request through the gateway failed: HTTP {record.Status} {record.Error}");
            }
        }
    }

    public async Task<IReadOnlyList<RequestRecord>> RunAsync(Workload workload, Action<int> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(workload);
        var requests = workload.Requests;
        var records = new RequestRecord[requests.Count];
        var clock = Stopwatch.StartNew();
        var done = 0;
        // A conversation's turns run in order: each turn waits for the previous one of its session.
        var previousOfSession = new Dictionary<int, Task>();
        var tasks = new List<Task>(requests.Count);
        foreach (var r in requests.OrderBy(r => r.ArrivalMs))
        {
            Task? previous = null;
            if (r.Session >= 0)
                previousOfSession.TryGetValue(r.Session, out previous);
            var task = RunOneAsync(r, previous, clock, records, ct).ContinueWith(
                _ => progress(Interlocked.Increment(ref done)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            if (r.Session >= 0)
                previousOfSession[r.Session] = task;
            tasks.Add(task);
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return records;
    }

    private async Task RunOneAsync(WorkloadRequest r, Task? previous, Stopwatch clock, RequestRecord[] records, CancellationToken ct)
    {
        double releaseMs;
        if (previous is not null)
        {
            await previous.ConfigureAwait(false);
            releaseMs = clock.Elapsed.TotalMilliseconds + (r.ThinkMs / timeScale);
        }
        else
        {
            releaseMs = r.ArrivalMs / timeScale;
        }
        var wait = releaseMs - clock.Elapsed.TotalMilliseconds;
        if (wait > 1)
            await Task.Delay(TimeSpan.FromMilliseconds(wait), ct).ConfigureAwait(false);
        records[r.Index] = await SendAsync(r, clock, ct).ConfigureAwait(false);
    }

    private async Task<RequestRecord> SendAsync(WorkloadRequest r, Stopwatch clock, CancellationToken ct)
    {
        var stream = r.Index % 4 != 3;
        var model = string.IsNullOrEmpty(r.Model) ? baseModel : r.Model;
        var body = Body(model, PromptText.Build(r.Segments), r.OutputTokens, stream);
        var start = clock.Elapsed.TotalMilliseconds;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/chat/completions", UriKind.Relative));
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var servedBy = response.Headers.TryGetValues(ServedByHeader, out var v) ? v.FirstOrDefault() : null;
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                var end = clock.Elapsed.TotalMilliseconds;
                return new RequestRecord(r.Index, stream, status, start, double.NaN, end - start, 0, servedBy, Trim(text));
            }
            if (!stream)
            {
                var json = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                var end = clock.Elapsed.TotalMilliseconds;
                using var doc = JsonDocument.Parse(json);
                var tokens = doc.RootElement.TryGetProperty("usage", out var usage) && usage.TryGetProperty("completion_tokens", out var ctok) ? ctok.GetInt32() : 0;
                return new RequestRecord(r.Index, false, status, start, double.NaN, end - start, tokens, servedBy, null);
            }
            var ttft = double.NaN;
            var chunks = 0;
            var sawDone = false;
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), Encoding.UTF8);
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                if (!line.StartsWith("data:", StringComparison.Ordinal))
                    continue;
                var data = line.AsSpan(5).Trim();
                if (data.SequenceEqual("[DONE]"))
                {
                    sawDone = true;
                    break;
                }
                // The first chunk only announces the role (content ""): the first token is the next content chunk.
                if (data.Contains("\"content\"", StringComparison.Ordinal) && !data.Contains("\"role\"", StringComparison.Ordinal))
                {
                    if (double.IsNaN(ttft))
                        ttft = clock.Elapsed.TotalMilliseconds - start;
                }
                else if (data.Contains("\"usage\"", StringComparison.Ordinal))
                {
                    using var doc = JsonDocument.Parse(data.ToString());
                    if (doc.RootElement.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object && u.TryGetProperty("completion_tokens", out var c))
                        chunks = c.GetInt32();
                }
            }
            var finished = clock.Elapsed.TotalMilliseconds;
            return sawDone
                ? new RequestRecord(r.Index, true, status, start, ttft, finished - start, chunks, servedBy, null)
                : new RequestRecord(r.Index, true, 599, start, ttft, finished - start, chunks, servedBy, "stream ended without [DONE]");
        }
        catch (HttpRequestException e)
        {
            return new RequestRecord(r.Index, stream, 599, start, double.NaN, clock.Elapsed.TotalMilliseconds - start, 0, null, e.Message);
        }
        catch (IOException e)
        {
            return new RequestRecord(r.Index, stream, 599, start, double.NaN, clock.Elapsed.TotalMilliseconds - start, 0, null, e.Message);
        }
    }

    internal static byte[] Body(string model, string prompt, int maxTokens, bool stream)
    {
        using var buffer = new MemoryStream(prompt.Length + 256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            w.WriteStartArray("messages");
            w.WriteStartObject();
            w.WriteString("role", "user");
            w.WriteString("content", prompt);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteNumber("max_tokens", Math.Max(1, maxTokens));
            w.WriteBoolean("stream", stream);
            if (stream)
            {
                w.WriteStartObject("stream_options");
                w.WriteBoolean("include_usage", true);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static string Trim(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
