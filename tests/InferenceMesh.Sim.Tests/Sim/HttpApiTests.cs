using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using InferenceMesh.VllmSim;
using InferenceMesh.VllmSim.Http;

namespace InferenceMesh.Sim.Tests.Sim;

public sealed class HttpApiTests : IAsyncLifetime, IDisposable
{
    private const string Model = "Qwen/Qwen2.5-7B-Instruct";
    private SimFleetHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = await SimFleetHost.StartAsync(new SimHostOptions
        {
            Servers = 2,
            Port = 0,
            TimeScale = 200,
            Server = new SimServerOptions { LoraModules = [new LoraModule("travel-helper", "/x"), new LoraModule("sql-lora", "/y")], MaxLoras = 1 },
        });
        _http = new HttpClient { BaseAddress = _host.BaseAddresses[0], Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    public void Dispose() => _http?.Dispose();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<JsonElement> PostJsonAsync(string path, string body, HttpStatusCode expected = HttpStatusCode.OK, HttpClient? client = null)
    {
        using var response = await (client ?? _http).PostAsync(path, Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static List<string> SseData(string body)
    {
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var data = new List<string>();
        foreach (var e in events)
        {
            Assert.StartsWith("data: ", e, StringComparison.Ordinal);
            data.Add(e["data: ".Length..]);
        }
        return data;
    }

    [Fact]
    public async Task Host_BindsOnePortPerServer()
    {
        Assert.Equal(2, _host.BaseAddresses.Count);
        Assert.NotEqual(_host.BaseAddresses[0].Port, _host.BaseAddresses[1].Port);
        using var health = await _http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Models_ListsBaseModelAndAdapters()
    {
        var models = await _http.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Equal("list", models.GetProperty("object").GetString());
        var data = models.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([Model, "travel-helper", "sql-lora"], data.Select(d => d.GetProperty("id").GetString()!).ToList());
        Assert.Equal(Model, data[1].GetProperty("parent").GetString());
        Assert.Equal("/x", data[1].GetProperty("root").GetString());
    }

    [Fact]
    public async Task Completion_NonStreaming_ReturnsTextAndUsage()
    {
        var prompt = new string('p', 400);
        var r = await PostJsonAsync("/v1/completions", $$"""{"model":"{{Model}}","prompt":"{{prompt}}","max_tokens":7}""");
        Assert.Equal("text_completion", r.GetProperty("object").GetString());
        var choice = r.GetProperty("choices")[0];
        Assert.Equal(7 * 4, choice.GetProperty("text").GetString()!.Length);
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var usage = r.GetProperty("usage");
        Assert.Equal(100, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(7, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(107, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Completion_Streaming_SendsChunksUsageAndDone()
    {
        using var response = await _http.PostAsync("/v1/completions",
            Json($$$"""{"model":"{{{Model}}}","prompt":"stream me please","max_tokens":12,"stream":true,"stream_options":{"include_usage":true}}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var data = SseData(await response.Content.ReadAsStringAsync());

        Assert.Equal("[DONE]", data[^1]);
        var chunks = data[..^1].Select(d => JsonDocument.Parse(d).RootElement).ToList();
        var usageChunk = chunks[^1];
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.Equal(12, usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(4, usageChunk.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var textChunks = chunks[..^1];
        Assert.All(textChunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
        Assert.Equal(12 * 4, string.Concat(textChunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString())).Length);
        Assert.Equal("length", textChunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.All(textChunks[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
    }

    [Fact]
    public async Task Chat_Streaming_StartsWithRole_AndOmitsUsageUnlessAsked()
    {
        using var response = await _http.PostAsync("/v1/chat/completions",
            Json($$"""{"model":"travel-helper","messages":[{"role":"user","content":"hi"}],"max_tokens":3,"stream":true}"""));
        var data = SseData(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", data[^1]);
        var chunks = data[..^1].Select(d => JsonDocument.Parse(d).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.All(chunks, c => Assert.False(c.TryGetProperty("usage", out _)));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("travel-helper", chunks[0].GetProperty("model").GetString());
        Assert.Equal("length", chunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Chat_NonStreaming_CountsTheTemplatedPrompt()
    {
        var r = await PostJsonAsync("/v1/chat/completions", $$"""{"model":"{{Model}}","messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hello"}]}],"max_completion_tokens":4}""");
        Assert.Equal("chat.completion", r.GetProperty("object").GetString());
        Assert.Equal("assistant", r.GetProperty("choices")[0].GetProperty("message").GetProperty("role").GetString());
        var expected = SimTokenizer.CountTokens("<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n");
        Assert.Equal(expected, r.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(4, r.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task OutputHeader_ForcesTheOutputLength()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = Json($$"""{"model":"{{Model}}","messages":[{"role":"user","content":"x"}]}"""),
        };
        request.Headers.Add("x-sim-output-tokens", "9");
        using var response = await _http.SendAsync(request);
        var r = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(9, r.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Theory]
    [InlineData("/v1/completions", "{not json", 400, null)]
    [InlineData("/v1/completions", "[1,2]", 400, null)]
    [InlineData("/v1/completions", """{"prompt":"x"}""", 400, "model")]
    [InlineData("/v1/completions", """{"model":"Qwen/Qwen2.5-7B-Instruct"}""", 400, "prompt")]
    [InlineData("/v1/completions", """{"model":"Qwen/Qwen2.5-7B-Instruct","prompt":"x","max_tokens":0}""", 400, "max_tokens")]
    [InlineData("/v1/completions", """{"model":"Qwen/Qwen2.5-7B-Instruct","prompt":"x","max_tokens":"5"}""", 400, "max_tokens")]
    [InlineData("/v1/completions", """{"model":"Qwen/Qwen2.5-7B-Instruct","prompt":"x","stream_options":{"include_usage":true}}""", 400, "stream_options")]
    [InlineData("/v1/chat/completions", """{"model":"Qwen/Qwen2.5-7B-Instruct","messages":[]}""", 400, "messages")]
    [InlineData("/v1/chat/completions", """{"model":"Qwen/Qwen2.5-7B-Instruct","messages":[{"content":"no role"}]}""", 400, "messages")]
    [InlineData("/v1/chat/completions", """{"model":"nope","messages":[{"role":"user","content":"x"}]}""", 404, "model")]
    public async Task MalformedRequests_GetVllmErrorJson(string path, string body, int status, string? param)
    {
        var r = await PostJsonAsync(path, body, (HttpStatusCode)status);
        var error = r.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(status == 404 ? "NotFoundError" : "BadRequestError", error.GetProperty("type").GetString());
        Assert.Equal(status, error.GetProperty("code").GetInt32());
        if (param is not null)
            Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task TooLongPrompt_Gets400WithTheContextLengthMessage()
    {
        var prompt = new string('z', 4 * 32_760);
        var r = await PostJsonAsync("/v1/completions", $$"""{"model":"{{Model}}","prompt":"{{prompt}}","max_tokens":100}""", HttpStatusCode.BadRequest);
        Assert.Contains("maximum context length is 32768 tokens", r.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    private static async Task<List<PrometheusTextChecker.Sample>> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        return PrometheusTextChecker.Check(await response.Content.ReadAsStringAsync());
    }

    private static double Value(List<PrometheusTextChecker.Sample> samples, string name) => samples.Single(s => s.Name == name).Value;

    [Fact]
    public async Task RepeatedPrompt_OverHttp_ReportsCachedTokens_AndHitsCounterRisesByThem()
    {
        using var second = new HttpClient { BaseAddress = _host.BaseAddresses[1] };
        var prompt = string.Concat(Enumerable.Repeat("The same long system prompt. ", 200));
        var body = $$"""{"model":"{{Model}}","prompt":"{{prompt}}","max_tokens":2}""";
        var before = await ScrapeAsync(second);
        var first = await PostJsonAsync("/v1/completions", body, client: second);
        var middle = await ScrapeAsync(second);
        var again = await PostJsonAsync("/v1/completions", body, client: second);
        var after = await ScrapeAsync(second);

        Assert.Equal(0, first.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        var cached = again.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32();
        var n = again.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        Assert.Equal((n - 1) / 16 * 16, cached);
        Assert.Equal(Value(before, "vllm:prefix_cache_hits_total"), Value(middle, "vllm:prefix_cache_hits_total"));
        Assert.Equal(Value(middle, "vllm:prefix_cache_hits_total") + cached, Value(after, "vllm:prefix_cache_hits_total"));
        Assert.Equal(Value(middle, "vllm:prefix_cache_queries_total") + n, Value(after, "vllm:prefix_cache_queries_total"));
        Assert.Equal(2, Value(after, "vllm:time_to_first_token_seconds_count") - Value(before, "vllm:time_to_first_token_seconds_count"));

        // Server 0 saw none of it.
        var other = await ScrapeAsync(_http);
        Assert.Equal(0, Value(other, "vllm:prefix_cache_hits_total"));
    }

    [Fact]
    public async Task RuntimeLoraLoadAndUnload_ChangeTheServedAdapters()
    {
        using (var load = await _http.PostAsync("/v1/load_lora_adapter", Json("""{"lora_name":"fresh","lora_path":"/adapters/fresh"}""")))
            Assert.Equal(HttpStatusCode.OK, load.StatusCode);
        var models = await _http.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Contains("fresh", models.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        await PostJsonAsync("/v1/completions", """{"model":"fresh","prompt":"hello","max_tokens":2}""");
        await PostJsonAsync("/v1/load_lora_adapter", """{"lora_name":"fresh","lora_path":"/again"}""", HttpStatusCode.BadRequest);
        await PostJsonAsync("/v1/load_lora_adapter", """{"lora_name":"no-path"}""", HttpStatusCode.BadRequest);

        using (var unload = await _http.PostAsync("/v1/unload_lora_adapter", Json("""{"lora_name":"fresh"}""")))
            Assert.Equal(HttpStatusCode.OK, unload.StatusCode);
        await PostJsonAsync("/v1/completions", """{"model":"fresh","prompt":"hello","max_tokens":2}""", HttpStatusCode.NotFound);
        await PostJsonAsync("/v1/unload_lora_adapter", """{"lora_name":"fresh"}""", HttpStatusCode.NotFound);
        // The other server never had it.
        using var second = new HttpClient { BaseAddress = _host.BaseAddresses[1] };
        await PostJsonAsync("/v1/completions", """{"model":"fresh","prompt":"hello","max_tokens":2}""", HttpStatusCode.NotFound, second);
    }

    [Fact]
    public async Task ClientAbort_FreesTheRequest()
    {
        using var cts = new CancellationTokenSource();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = Json($$"""{"model":"{{Model}}","prompt":"abort me","max_tokens":30000,"stream":true}"""),
        };
        using (var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token))
        {
            var stream = await response.Content.ReadAsStreamAsync(cts.Token);
            var buffer = new byte[256];
            _ = await stream.ReadAsync(buffer, cts.Token);
            await cts.CancelAsync();
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_host.Inspect(f => f.Servers[0].RequestsAborted) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the server never saw the abort");
            await Task.Delay(20);
        }
        Assert.Equal(0, _host.Inspect(f => f.Servers[0].NumRunning));
    }
}
