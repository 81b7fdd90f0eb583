using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace InferenceMesh.VllmSim.Http;

/// <summary>The vLLM-compatible HTTP surface of one simulated server.</summary>
internal static class OpenAiApi
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    // Python's json module leaves quotes, backticks and non-ASCII as they are; so do we.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public static IEndpointRouteBuilder MapSimServer(this IEndpointRouteBuilder app, ServerEndpoint ep)
    {
        app.MapPost("/v1/completions", (HttpContext ctx) => HandleAsync(ctx, ep, chat: false));
        app.MapPost("/v1/chat/completions", (HttpContext ctx) => HandleAsync(ctx, ep, chat: true));
        app.MapGet("/v1/models", (HttpContext ctx) => WriteModelsAsync(ctx, ep));
        app.MapPost("/v1/load_lora_adapter", (HttpContext ctx) => LoraAdminAsync(ctx, ep, load: true));
        app.MapPost("/v1/unload_lora_adapter", (HttpContext ctx) => LoraAdminAsync(ctx, ep, load: false));
        app.MapGet("/health", () => Results.Ok());
        app.MapGet("/version", () => Results.Json(new Dictionary<string, string> { ["version"] = "0.10.0-sim" }));
        app.MapGet("/metrics", (HttpContext ctx) =>
        {
            var text = ep.Driver.Inspect(f => VllmMetrics.Render(f.Servers[ep.Index], ep.Driver.WallUnixSecondsPrecise, ep.Driver.SimToUnixSeconds));
            return Results.Text(text, VllmMetrics.ContentType, Encoding.UTF8);
        });
        return app;
    }

    private static async Task HandleAsync(HttpContext ctx, ServerEndpoint ep, bool chat)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await WriteErrorAsync(ctx, new ApiError(400, $"JSON decode error: {e.Message}")).ConfigureAwait(false);
            return;
        }
        ParsedRequest? req;
        ApiError? error;
        using (doc)
            req = OpenAiRequestParser.Parse(doc.RootElement, chat, ep.Server, m => ep.Driver.Inspect(f => f.Servers[ep.Index].HasLoraAdapter(m)), ep.Host, ctx.Request.Headers[OpenAiRequestParser.OutputTokensHeader], out error);
        if (req is null)
        {
            await WriteErrorAsync(ctx, error!).ConfigureAwait(false);
            return;
        }

        var id = ep.NewId(chat ? "chatcmpl" : "cmpl");
        var observer = new RequestObserver();
        var sim = new SimRequest(id, req.Prompt, req.OutputTokens, req.Lora) { Observer = observer };
        if (ep.Driver.Submit(ep.Index, sim) is { } rejected)
        {
            await WriteErrorAsync(ctx, new ApiError(400, rejected)).ConfigureAwait(false);
            return;
        }
        try
        {
            if (req.Stream)
                await StreamAsync(ctx, ep, req, sim, observer, id).ConfigureAwait(false);
            else
                await CompleteAsync(ctx, ep, req, sim, observer, id).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            ep.Driver.Abort(ep.Index, sim);   // the client went away: vLLM aborts the request and frees its KV
        }
    }

    private static async Task CompleteAsync(HttpContext ctx, ServerEndpoint ep, ParsedRequest req, SimRequest sim, RequestObserver observer, string id)
    {
        await foreach (var _ in observer.Tokens.ReadAllAsync(ctx.RequestAborted).ConfigureAwait(false))
        {
        }
        ctx.Response.ContentType = "application/json";
        var w = new Utf8JsonWriter(ctx.Response.BodyWriter, JsonOptions);
        await using (w.ConfigureAwait(false))
        {
            w.WriteStartObject();
            WriteHeader(w, ep, req, id, req.Chat ? "chat.completion" : "text_completion");
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            var text = Filler(0, req.OutputTokens);
            if (req.Chat)
            {
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                w.WriteString("content", text);
                w.WriteStartArray("tool_calls");
                w.WriteEndArray();
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("text", text);
            }
            w.WriteNull("logprobs");
            w.WriteString("finish_reason", "length");
            w.WriteNull("stop_reason");
            w.WriteEndObject();
            w.WriteEndArray();
            WriteUsage(w, sim);
            w.WriteEndObject();
        }
        await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task StreamAsync(HttpContext ctx, ServerEndpoint ep, ParsedRequest req, SimRequest sim, RequestObserver observer, string id)
    {
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        var body = ctx.Response.BodyWriter;
        var ct = ctx.RequestAborted;
        var objectName = req.Chat ? "chat.completion.chunk" : "text_completion";
        if (req.Chat)
            WriteChunk(body, ep, req, id, objectName, role: true, text: "", finish: false);
        await body.FlushAsync(ct).ConfigureAwait(false);

        var sent = 0;
        var reader = observer.Tokens;
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            var latest = sent;
            while (reader.TryRead(out var g))
                latest = g;
            if (latest == sent)
                continue;
            // One chunk per engine step's output (several if this handler fell behind the engine).
            WriteChunk(body, ep, req, id, objectName, role: false, Filler(sent, latest - sent), finish: latest >= req.OutputTokens);
            sent = latest;
            await body.FlushAsync(ct).ConfigureAwait(false);
        }
        if (req.IncludeUsage)
        {
            body.Write(DataPrefix);
            var w = new Utf8JsonWriter(body, JsonOptions);
            await using (w.ConfigureAwait(false))
            {
                w.WriteStartObject();
                WriteHeader(w, ep, req, id, objectName);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                WriteUsage(w, sim);
                w.WriteEndObject();
            }
            body.Write(EventEnd);
        }
        body.Write(Done);
        await body.FlushAsync(ct).ConfigureAwait(false);
    }

    private static void WriteChunk(System.IO.Pipelines.PipeWriter body, ServerEndpoint ep, ParsedRequest req, string id, string objectName, bool role, string text, bool finish)
    {
        body.Write(DataPrefix);
        using (var w = new Utf8JsonWriter(body, JsonOptions))
        {
            w.WriteStartObject();
            WriteHeader(w, ep, req, id, objectName);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            if (req.Chat)
            {
                w.WriteStartObject("delta");
                if (role)
                    w.WriteString("role", "assistant");
                w.WriteString("content", text);
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("text", text);
            }
            w.WriteNull("logprobs");
            if (finish)
                w.WriteString("finish_reason", "length");
            else
                w.WriteNull("finish_reason");
            if (!role)
                w.WriteNull("stop_reason");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        body.Write(EventEnd);
    }

    private static void WriteHeader(Utf8JsonWriter w, ServerEndpoint ep, ParsedRequest req, string id, string objectName)
    {
        w.WriteString("id", id);
        w.WriteString("object", objectName);
        w.WriteNumber("created", ep.UnixSeconds);
        w.WriteString("model", req.Model);
    }

    private static void WriteUsage(Utf8JsonWriter w, SimRequest sim)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", sim.Prompt.TokenCount);
        w.WriteNumber("total_tokens", sim.Prompt.TokenCount + sim.GeneratedTokens);
        w.WriteNumber("completion_tokens", sim.GeneratedTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", sim.CachedTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string Filler(int from, int count)
    {
        var sb = new StringBuilder(count * SimTokenizer.CharsPerToken);
        for (var i = from; i < from + count; i++)
            sb.Append(SimTokenizer.FillerToken(i));
        return sb.ToString();
    }

    // vLLM's runtime adapter management (VLLM_ALLOW_RUNTIME_LORA_UPDATING): {"lora_name", "lora_path"}.
    private static async Task LoraAdminAsync(HttpContext ctx, ServerEndpoint ep, bool load)
    {
        string? name = null;
        string? path = null;
        try
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body, default, ctx.RequestAborted).ConfigureAwait(false);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (doc.RootElement.TryGetProperty("lora_name", out var n) && n.ValueKind == JsonValueKind.String)
                    name = n.GetString();
                if (doc.RootElement.TryGetProperty("lora_path", out var p) && p.ValueKind == JsonValueKind.String)
                    path = p.GetString();
            }
        }
        catch (JsonException e)
        {
            await WriteErrorAsync(ctx, new ApiError(400, $"JSON decode error: {e.Message}")).ConfigureAwait(false);
            return;
        }
        if (string.IsNullOrEmpty(name) || (load && string.IsNullOrEmpty(path)))
        {
            var message = load ? "Both 'lora_name' and 'lora_path' must be provided." : "'lora_name' needs to be provided to unload a LoRA adapter.";
            await WriteErrorAsync(ctx, new ApiError(400, message)).ConfigureAwait(false);
            return;
        }
        var error = ep.Driver.Inspect(f => load
            ? f.Servers[ep.Index].LoadLoraAdapter(new LoraModule(name, path!))
            : f.Servers[ep.Index].UnloadLoraAdapter(name));
        if (error is not null)
        {
            await WriteErrorAsync(ctx, new ApiError(load ? 400 : 404, error, "lora_name")).ConfigureAwait(false);
            return;
        }
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        await ctx.Response.WriteAsync($"Success: LoRA adapter '{name}' {(load ? "added" : "removed")} successfully.", ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteModelsAsync(HttpContext ctx, ServerEndpoint ep)
    {
        ctx.Response.ContentType = "application/json";
        var created = ep.UnixSeconds;
        var w = new Utf8JsonWriter(ctx.Response.BodyWriter, JsonOptions);
        await using (w.ConfigureAwait(false))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            WriteModel(w, ep.Server.ModelName, ep.Server.ModelName, null, created, ep.Server.Profile.MaxModelLen);
            foreach (var m in ep.Driver.Inspect(f => f.Servers[ep.Index].LoraModules.ToArray()))
                WriteModel(w, m.Name, m.Path, ep.Server.ModelName, created, ep.Server.Profile.MaxModelLen);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    private static void WriteModel(Utf8JsonWriter w, string id, string root, string? parent, long created, int maxModelLen)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", "model");
        w.WriteNumber("created", created);
        w.WriteString("owned_by", "vllm");
        w.WriteString("root", root);
        if (parent is null)
            w.WriteNull("parent");
        else
            w.WriteString("parent", parent);
        w.WriteNumber("max_model_len", maxModelLen);
        w.WriteEndObject();
    }

    public static async Task WriteErrorAsync(HttpContext ctx, ApiError error)
    {
        ctx.Response.StatusCode = error.Status;
        ctx.Response.ContentType = "application/json";
        var w = new Utf8JsonWriter(ctx.Response.BodyWriter, JsonOptions);
        await using (w.ConfigureAwait(false))
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            w.WriteString("message", error.Message);
            w.WriteString("type", error.Type);
            if (error.Param is null)
                w.WriteNull("param");
            else
                w.WriteString("param", error.Param);
            w.WriteNumber("code", error.Status);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        await ctx.Response.BodyWriter.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }
}
