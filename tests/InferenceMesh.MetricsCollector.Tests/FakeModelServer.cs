using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>A model server's /metrics on real Kestrel (loopback), whose exposition, status and latency tests change at will,
/// and which can be killed and restarted on the same port.</summary>
internal sealed class FakeModelServer : IAsyncDisposable
{
    private WebApplication? _app;
    private int _scrapes;

    private FakeModelServer()
    {
    }

    public int Port { get; private set; }

    public string Address => $"127.0.0.1:{Port}";

    public volatile string Body = Fixtures.Vllm(0, 0, 0);

    public volatile int StatusCode = 200;

    /// <summary>Delay before answering (to make scrapes slow or hang).</summary>
    public TimeSpan Delay { get; set; }

    public int Scrapes => Volatile.Read(ref _scrapes);

    public bool Running => _app is not null;

    public static async Task<FakeModelServer> StartAsync()
    {
        var server = new FakeModelServer();
        await server.StartOnAsync(0);
        return server;
    }

    private async Task StartOnAsync(int port)
    {
        var (app, address) = await TestServers.StartAsync(a => a.MapGet("/metrics", HandleAsync), port);
        _app = app;
        Port = address.Port;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _scrapes);
        if (Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        context.Response.StatusCode = StatusCode;
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(Body);
    }

    /// <summary>Stops the server (connections refused from now on).</summary>
    public async Task KillAsync()
    {
        if (_app is null)
            return;
        var app = _app;
        _app = null;
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>Starts again on the same port.</summary>
    public Task RestartAsync() => StartOnAsync(Port);

    public ValueTask DisposeAsync() => new(KillAsync());
}
