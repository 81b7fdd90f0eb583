using System.Security.Cryptography;
using System.Text;
using InferenceMesh.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.DaprStandIn;

/// <summary>A stand-in for one Dapr sidecar (daprd cannot be installed here): the subset of the HTTP API v1.0 that
/// InferenceMesh uses, on Kestrel at a loopback port 0, backed by a real Redis with state.redis and pubsub.redis
/// layouts. Tests only; production code never references it.</summary>
public sealed class DaprStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RedisConnection _redis;
    private readonly HttpClient _appClient;
    private readonly PubSubApi _pubsub;
    private Uri? _appAddress;

    private DaprStandIn(DaprStandInOptions options, WebApplication app, RedisConnection redis, HttpClient appClient, PubSubApi pubsub)
    {
        Options = options;
        _app = app;
        _redis = redis;
        _appClient = appClient;
        _pubsub = pubsub;
        _appAddress = options.AppAddress;
    }

    public DaprStandInOptions Options { get; }

    /// <summary>The sidecar's HTTP address (what <c>DAPR_HTTP_ENDPOINT</c> / <c>Dapr:HttpEndpoint</c> should be).</summary>
    public Uri HttpEndpoint { get; private set; } = null!;

    /// <summary>The Redis connection the stand-in uses (tests may inspect keys with it).</summary>
    public RedisConnection Redis => _redis;

    /// <summary>Deliveries attempted to the app, redeliveries included.</summary>
    public long DeliveryAttempts => _pubsub.Delivered;

    /// <summary>Starts the API; when <see cref="DaprStandInOptions.AppAddress"/> is set, also reads the app's subscriptions.</summary>
    public static async Task<DaprStandIn> StartAsync(DaprStandInOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var redis = await RedisConnection.ConnectAsync(options.Redis);
        var appClient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
        var pubsub = new PubSubApi(options, redis, appClient);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "StandIn" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new DaprStandIn(options, app, redis, appClient, pubsub);
        standIn.Map(app, new StateApi(options, redis), new InvokeApi(options, () => standIn._appAddress, appClient));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        standIn.HttpEndpoint = new Uri(address);
        if (options.AppAddress is not null)
            await pubsub.SubscribeAsync(options.AppAddress);
        return standIn;
    }

    /// <summary>Connects the app channel once the app is listening: reads <c>GET /dapr/subscribe</c> and starts deliveries.</summary>
    public Task AttachAppAsync(Uri appAddress)
    {
        _appAddress = appAddress;
        return _pubsub.SubscribeAsync(appAddress);
    }

    public async ValueTask DisposeAsync()
    {
        await _pubsub.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _redis.DisposeAsync();
        _appClient.Dispose();
    }

    private void Map(WebApplication app, StateApi state, InvokeApi invoke)
    {
        app.Use(async (context, next) =>
        {
            if (!Authorized(context))
            {
                await Errors.WriteAsync(context, 401, "ERR_API_TOKEN", "invalid api token");
                return;
            }
            await next(context);
        });
        app.MapGet("/v1.0/healthz", (HttpContext c) => Results.NoContent());
        app.MapGet("/v1.0/healthz/outbound", (HttpContext c) => Results.NoContent());
        app.MapPost("/v1.0/state/{store}/bulk", (HttpContext c, string store) => state.BulkGetAsync(c, store));
        app.MapPost("/v1.0/state/{store}/transaction", (HttpContext c, string store) => state.TransactionAsync(c, store));
        app.MapPost("/v1.0/state/{store}", (HttpContext c, string store) => state.SaveAsync(c, store));
        app.MapGet("/v1.0/state/{store}/{**key}", (HttpContext c, string store, string key) => state.GetAsync(c, store, Uri.UnescapeDataString(key)));
        app.MapDelete("/v1.0/state/{store}/{**key}", (HttpContext c, string store, string key) => state.DeleteAsync(c, store, Uri.UnescapeDataString(key)));
        app.MapPost("/v1.0/publish/{pubsub}/{**topic}", (HttpContext c, string pubsub, string topic) => _pubsub.PublishAsync(c, pubsub, Uri.UnescapeDataString(topic)));
        app.Map("/v1.0/invoke/{appId}/method/{**path}", (HttpContext c, string appId, string? path) => invoke.InvokeAsync(c, appId, path ?? string.Empty));
    }

    private bool Authorized(HttpContext context)
    {
        if (Options.ApiToken is null || context.Request.Path.StartsWithSegments("/v1.0/healthz", StringComparison.Ordinal))
            return true;
        var presented = context.Request.Headers["dapr-api-token"].ToString();
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(Options.ApiToken));
    }
}
