using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace InferenceMesh.DaprStandIn;

/// <summary>A stand-in for one Dapr sidecar (daprd cannot be installed here), with daprd's two ports on loopback port 0:
/// gRPC (h2c) serving the <c>dapr.proto.runtime.v1.Dapr</c> methods Dapr.Client calls for state and publish, and HTTP
/// serving health and service invocation; behind them a real Redis with state.redis and pubsub.redis layouts. Tests
/// only; production code never references it.</summary>
public sealed class DaprStandIn : IAsyncDisposable
{
    private readonly WebApplication _http;
    private readonly WebApplication _grpc;
    private readonly ConnectionMultiplexer _redis;
    private readonly HttpClient _appClient;
    private readonly PubSubApi _pubsub;
    private Uri? _appAddress;

    private DaprStandIn(DaprStandInOptions options, WebApplication http, WebApplication grpc, ConnectionMultiplexer redis, HttpClient appClient, PubSubApi pubsub)
    {
        Options = options;
        _http = http;
        _grpc = grpc;
        _redis = redis;
        _appClient = appClient;
        _pubsub = pubsub;
        _appAddress = options.AppAddress;
    }

    public DaprStandInOptions Options { get; }

    /// <summary>The sidecar's HTTP address (what <c>DAPR_HTTP_ENDPOINT</c> should be).</summary>
    public Uri HttpEndpoint { get; private set; } = null!;

    /// <summary>The sidecar's gRPC address (what <c>DAPR_GRPC_ENDPOINT</c> should be).</summary>
    public Uri GrpcEndpoint { get; private set; } = null!;

    /// <summary>The Redis database the stand-in uses (tests may inspect keys with it).</summary>
    public IDatabase Redis => _redis.GetDatabase();

    /// <summary>Deliveries attempted to the app, redeliveries included.</summary>
    public long DeliveryAttempts => _pubsub.Delivered;

    /// <summary>While true, publishing fails as during a broker outage.</summary>
    public bool FailPublishes
    {
        get => _pubsub.FailPublishes;
        set => _pubsub.FailPublishes = value;
    }

    /// <summary>Starts both APIs; when <see cref="DaprStandInOptions.AppAddress"/> is set, also reads the app's subscriptions.</summary>
    public static async Task<DaprStandIn> StartAsync(DaprStandInOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var redis = await ConnectionMultiplexer.ConnectAsync(options.Redis);
        var appClient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
        var pubsub = new PubSubApi(options, redis.GetDatabase(), appClient);
        var state = new RedisState(options, redis.GetDatabase());

        var grpcBuilder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "StandIn" });
        grpcBuilder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, options.GrpcPort, l => l.Protocols = HttpProtocols.Http2));
        grpcBuilder.Logging.ClearProviders();
        grpcBuilder.Services.AddGrpc();
        grpcBuilder.Services.AddSingleton(new DaprGrpcApi(options, state, pubsub));
        grpcBuilder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IServiceMethodProvider<DaprGrpcApi>, DaprGrpcMethods>());
        var grpc = grpcBuilder.Build();
        grpc.MapGrpcService<DaprGrpcApi>();

        var httpBuilder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "StandIn" });
        httpBuilder.WebHost.UseUrls($"http://127.0.0.1:{options.HttpPort}");
        httpBuilder.Logging.ClearProviders();
        var http = httpBuilder.Build();

        var standIn = new DaprStandIn(options, http, grpc, redis, appClient, pubsub);
        HttpApi.Map(http, options, new InvokeApi(options, () => standIn._appAddress, appClient), () => redis.IsConnected);
        await grpc.StartAsync();
        await http.StartAsync();
        standIn.GrpcEndpoint = new Uri(Address(grpc).Replace("https://", "http://", StringComparison.Ordinal));
        standIn.HttpEndpoint = new Uri(Address(http));
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
        await _http.StopAsync();
        await _grpc.StopAsync();
        await _http.DisposeAsync();
        await _grpc.DisposeAsync();
        await _redis.DisposeAsync();
        _appClient.Dispose();
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
}
