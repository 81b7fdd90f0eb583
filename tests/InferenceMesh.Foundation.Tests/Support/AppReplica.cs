using System.Collections.Concurrent;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.DaprStandIn;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace InferenceMesh.Foundation.Tests.Support;

/// <summary>One replica of an app: a real Kestrel app with the app-side Dapr code (Dapr.AspNetCore), and its own stand-in sidecar.</summary>
internal sealed class AppReplica : IAsyncDisposable
{
    private AppReplica(TestHost host, DaprStandIn.DaprStandIn sidecar)
    {
        Host = host;
        Sidecar = sidecar;
    }

    public TestHost Host { get; }

    public DaprStandIn.DaprStandIn Sidecar { get; }

    /// <summary>Every delivery the handler saw (redeliveries included), as request ids.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    public static async Task<AppReplica> StartAsync(string redis, string appId, Func<RequestCompletion, int, TopicResult>? decide = null,
        Func<DaprStandInOptions, DaprStandInOptions>? configure = null, Action<WebApplication>? map = null)
    {
        var options = new DaprStandInOptions { AppId = appId, Redis = redis };
        var sidecar = await DaprStandIn.DaprStandIn.StartAsync(configure?.Invoke(options) ?? options);
        var builder = TestHost.CreateBuilder(new Dictionary<string, string?>
        {
            ["DAPR_GRPC_ENDPOINT"] = sidecar.GrpcEndpoint.ToString(),
            ["DAPR_HTTP_ENDPOINT"] = sidecar.HttpEndpoint.ToString(),
            ["APP_API_TOKEN"] = sidecar.Options.AppApiToken,
            ["DAPR_API_TOKEN"] = sidecar.Options.ApiToken,
        });
        builder.AddServiceDefaults(appId);
        builder.Services.AddDaprSidecar();
        var app = builder.Build();
        AppReplica? replica = null;
        var attempts = new ConcurrentDictionary<string, int>();
        foreach (var (pubsub, topic) in new[] { (DaprNames.FanOutPubSub, DaprNames.CompletionsTopic), (DaprNames.PubSub, DaprNames.RoutingDecisionsTopic) })
        {
            app.MapSubscription(pubsub, topic, "/events/" + topic, ContractsJsonContext.Default.RequestCompletion, (c, _) =>
            {
                replica!.Received.Enqueue(c.RequestId);
                var attempt = attempts.AddOrUpdate(c.RequestId, 1, (_, n) => n + 1);
                return ValueTask.FromResult(decide?.Invoke(c, attempt) ?? TopicResult.Success);
            });
        }
        map?.Invoke(app);
        app.MapDaprSubscribeHandler();
        app.MapDefaultEndpoints();
        var host = await TestHost.StartAsync(app);
        replica = new AppReplica(host, sidecar);
        await sidecar.AttachAppAsync(host.Address);
        return replica;
    }

    public async ValueTask DisposeAsync()
    {
        await Sidecar.DisposeAsync();
        await Host.DisposeAsync();
    }
}
