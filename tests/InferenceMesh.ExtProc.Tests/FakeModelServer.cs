using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>A tiny OpenAI-compatible server on loopback: echoes the model it received, streams SSE when asked.</summary>
internal sealed class FakeModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeModelServer(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>"127.0.0.1:port".</summary>
    public string Address { get; }

    public ConcurrentQueue<byte[]> Bodies { get; } = new();

    public ConcurrentQueue<string> RequestIds { get; } = new();

    public static async Task<FakeModelServer> StartAsync()
    {
        FakeModelServer? self = null;
        var (started, address) = await TestServers.StartAsync(app =>
        {
            app.MapGet("/v1/models", () => Results.Json(new { data = new[] { new { id = "served" } } }));
            app.MapPost("/v1/completions", async (HttpContext ctx) =>
            {
                using var ms = new MemoryStream();
                await ctx.Request.Body.CopyToAsync(ms);
                var body = ms.ToArray();
                self!.Bodies.Enqueue(body);
                self.RequestIds.Enqueue(ctx.Request.Headers["x-request-id"].ToString());
                using var doc = JsonDocument.Parse(body);
                var model = doc.RootElement.GetProperty("model").GetString();
                var stream = doc.RootElement.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
                if (!stream)
                {
                    await ctx.Response.WriteAsJsonAsync(new { id = "c1", model, choices = new[] { new { text = "ok" } }, usage = new { prompt_tokens = 21, completion_tokens = 4 } });
                    return;
                }
                ctx.Response.ContentType = "text/event-stream";
                for (var i = 0; i < 3; i++)
                {
                    await ctx.Response.WriteAsync($"data: {{\"model\":\"{model}\",\"choices\":[{{\"text\":\"t{i}\"}}]}}\n\n");
                    await ctx.Response.Body.FlushAsync();
                }
                await ctx.Response.WriteAsync($"data: {{\"model\":\"{model}\",\"choices\":[],\"usage\":{{\"prompt_tokens\":9,\"completion_tokens\":3}}}}\n\ndata: [DONE]\n\n");
            });
        });
        self = new FakeModelServer(started, address.Authority);
        return self;
    }

    public static string Text(byte[] body) => Encoding.UTF8.GetString(body);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
