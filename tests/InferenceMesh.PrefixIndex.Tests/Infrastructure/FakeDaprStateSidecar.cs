using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.PrefixIndex.Tests.Infrastructure;

/// <summary>A minimal stand-in for the Dapr sidecar's state API (get, bulk get, save with ETags, delete) and health
/// endpoints, on Kestrel port 0, keeping state in memory. Used because tests/DaprStandIn (foundation) is not built yet.</summary>
public sealed class FakeDaprStateSidecar : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Json, long Version)> _state = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private long _calls;

    public string Endpoint { get; private set; } = "";

    /// <summary>HTTP calls made to the state API (health probes excluded).</summary>
    public long StateCalls => Interlocked.Read(ref _calls);

    /// <summary>When false, every state call answers 500 (the store is down).</summary>
    public bool StoreUp { get; set; } = true;

    public int KeyCount
    {
        get
        {
            lock (_gate)
                return _state.Count;
        }
    }

    public static async Task<FakeDaprStateSidecar> StartAsync()
    {
        var sidecar = new FakeDaprStateSidecar();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        sidecar.Map(app);
        await app.StartAsync();
        sidecar._app = app;
        sidecar.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return sidecar;
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/v1.0/healthz", () => Results.NoContent());
        app.MapGet("/v1.0/healthz/outbound", () => Results.NoContent());
        app.MapGet("/v1.0/state/{store}/{key}", (string store, string key, HttpContext context) =>
        {
            if (Down(out var down))
                return down;
            lock (_gate)
            {
                if (!_state.TryGetValue(store + "||" + key, out var v))
                    return Results.NoContent();
                context.Response.Headers.ETag = "\"" + v.Version.ToString(CultureInfo.InvariantCulture) + "\"";
                return Results.Text(v.Json, "application/json");
            }
        });
        app.MapPost("/v1.0/state/{store}/bulk", async (string store, HttpContext context) =>
        {
            if (Down(out var down))
                return down;
            var body = await JsonNode.ParseAsync(context.Request.Body);
            var result = new JsonArray();
            lock (_gate)
            {
                foreach (var k in body!["keys"]!.AsArray())
                {
                    var key = k!.GetValue<string>();
                    var item = new JsonObject { ["key"] = key };
                    if (_state.TryGetValue(store + "||" + key, out var v))
                    {
                        item["data"] = JsonNode.Parse(v.Json);
                        item["etag"] = v.Version.ToString(CultureInfo.InvariantCulture);
                    }
                    result.Add(item);
                }
            }
            return Results.Text(result.ToJsonString(), "application/json");
        });
        app.MapPost("/v1.0/state/{store}", async (string store, HttpContext context) =>
        {
            if (Down(out var down))
                return down;
            var body = await JsonNode.ParseAsync(context.Request.Body);
            lock (_gate)
            {
                var items = body!.AsArray();
                foreach (var item in items)
                {
                    var key = store + "||" + item!["key"]!.GetValue<string>();
                    var etag = item["etag"]?.GetValue<string>();
                    _state.TryGetValue(key, out var current);
                    if (etag is not null && (current.Json is null || current.Version.ToString(CultureInfo.InvariantCulture) != etag))
                        return Results.Json(new { errorCode = "ERR_STATE_SAVE", message = "possible etag mismatch" }, statusCode: 409);
                }
                foreach (var item in items)
                {
                    var key = store + "||" + item!["key"]!.GetValue<string>();
                    _state.TryGetValue(key, out var current);
                    _state[key] = (item["value"]!.ToJsonString(), current.Version + 1);
                }
            }
            return Results.NoContent();
        });
        app.MapDelete("/v1.0/state/{store}/{key}", (string store, string key) =>
        {
            if (Down(out var down))
                return down;
            lock (_gate)
                _state.Remove(store + "||" + key);
            return Results.NoContent();
        });
    }

    private bool Down(out IResult result)
    {
        Interlocked.Increment(ref _calls);
        result = Results.Json(new { errorCode = "ERR_STATE_STORE_NOT_FOUND", message = "store down" }, statusCode: 500);
        return !StoreUp;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
