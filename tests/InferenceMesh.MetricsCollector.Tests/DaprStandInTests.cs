using System.Collections.Concurrent;
using System.Text.Json;
using Dapr.Client;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.DaprStandIn;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>One real redis-server per test class.</summary>
public sealed class RedisServerFixture : IDisposable
{
    public RedisServerProcess Server { get; } = RedisServerProcess.Start();

    public void Dispose() => Server.Dispose();
}

/// <summary>The collector publishing through a Dapr sidecar (the stand-in on a real Redis, pubsub.redis Streams layout) to two
/// scheduler-like replicas whose fan-out component gives each its own consumer group.</summary>
public sealed class DaprStandInTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private sealed class SchedulerReplica : IAsyncDisposable
    {
        private WebApplication _app = null!;

        public DaprStandIn.DaprStandIn Sidecar { get; private set; } = null!;

        public ConcurrentQueue<PoolSnapshot> Received { get; } = new();

        public static async Task<SchedulerReplica> StartAsync(RedisServerProcess redis)
        {
            var replica = new SchedulerReplica();
            replica.Sidecar = await DaprStandIn.DaprStandIn.StartAsync(new DaprStandInOptions { AppId = AppIds.Scheduler, Redis = redis.Configuration });
            var builder = WebApplication.CreateBuilder();
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DAPR_HTTP_ENDPOINT"] = replica.Sidecar.HttpEndpoint.ToString(),
                ["DAPR_GRPC_ENDPOINT"] = replica.Sidecar.GrpcEndpoint.ToString(),
            });
            builder.AddServiceDefaults(AppIds.Scheduler);
            builder.Services.AddDaprSidecar();
            (replica._app, var address) = await TestServers.StartAsync(app =>
            {
                app.MapSubscription(DaprNames.FanOutPubSub, DaprNames.EndpointMetricsTopic, "/endpoint-metrics",
                    ContractsJsonContext.Default.PoolSnapshot, (snapshot, _) =>
                    {
                        replica.Received.Enqueue(snapshot);
                        return ValueTask.FromResult(TopicResult.Success);
                    });
                app.MapDaprSubscribeHandler();
            }, builder: builder);
            await replica.Sidecar.AttachAppAsync(address);
            return replica;
        }

        public async ValueTask DisposeAsync()
        {
            await Sidecar.DisposeAsync();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task TwoSchedulerReplicas_BothReceiveEverySnapshot_AndTheLatestIsSavedForColdStarts()
    {
        await using var server = await FakeModelServer.StartAsync();
        server.Body = Fixtures.Vllm(2, 3, 0.5, "travel-helper-v1", "", 2);
        await using var a = await SchedulerReplica.StartAsync(redis.Server);
        await using var b = await SchedulerReplica.StartAsync(redis.Server);
        await using var sidecar = await DaprStandIn.DaprStandIn.StartAsync(new DaprStandInOptions { AppId = AppIds.MetricsCollector, Redis = redis.Server.Configuration });
        var host = await CollectorHost.StartAsync(CollectorHost.PoolYaml("qwen", server.Address), s => s["Collector:ScrapeInterval"] = "00:00:00.100",
            sidecar: sidecar);
        try
        {
            await Poll.UntilAsync(() => a.Received.Count(s => s.Endpoints.Count == 1) >= 10 && b.Received.Count(s => s.Endpoints.Count == 1) >= 10,
                "both replicas received ten snapshots with the endpoint", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await host.App.StopAsync();
        }
        var published = await sidecar.Redis.StreamLengthAsync(DaprNames.EndpointMetricsTopic);
        await Poll.UntilAsync(() => a.Received.Select(s => s.Sequence).Distinct().Count() == published
                                               && b.Received.Select(s => s.Sequence).Distinct().Count() == published,
            $"both replicas received all {published} published snapshots", TimeSpan.FromSeconds(60));
        Assert.Equal(a.Received.Select(s => s.Sequence).Distinct().Order(), b.Received.Select(s => s.Sequence).Distinct().Order());
        var endpoint = a.Received.Last(s => s.Endpoints.Count == 1).Endpoints[0];
        Assert.Equal(server.Address, endpoint.Address);
        Assert.Equal(["travel-helper-v1"], endpoint.RunningLoras);

        using var client = new DaprClientBuilder().UseGrpcEndpoint(sidecar.GrpcEndpoint.ToString()).UseHttpEndpoint(sidecar.HttpEndpoint.ToString()).Build();
        var saved = await client.GetByteStateAsync(DaprNames.StateStore, DaprNames.SnapshotKeyPrefix + "qwen");
        Assert.Equal("qwen", JsonSerializer.Deserialize(saved.Span, ContractsJsonContext.Default.PoolSnapshot)!.Pool);
        await host.DisposeAsync();
    }
}
