using System.Text.Json;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Foundation.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace InferenceMesh.Foundation.Tests.Dapr;

/// <summary>Contract tests: publish through Dapr.Client (gRPC), delivery through the stand-in (Redis Streams, consumer
/// groups) to the app side of Dapr.AspNetCore, with RETRY and DROP answers.</summary>
public sealed class PubSubIntegrationTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static RequestCompletion Completion(string id) => new(id, "scheduler-x", "10.0.0.1:8000", 200, 1, 2, 3);

    private static byte[] Json(string id) => JsonSerializer.SerializeToUtf8Bytes(Completion(id), ContractsJsonContext.Default.RequestCompletion);

    private static async Task<long> PendingAsync(AppReplica replica, string topic, string group) =>
        (await replica.Sidecar.Redis.StreamPendingAsync(topic, group)).PendingMessageCount;

    [Fact]
    public async Task FanOutPubSub_TwoReplicasWithDistinctConsumerIds_BothReceiveEveryMessage()
    {
        var appId = "sched-fan-" + Guid.NewGuid().ToString("N")[..6];
        await using var a = await AppReplica.StartAsync(redis.Server.Configuration, appId);
        await using var b = await AppReplica.StartAsync(redis.Server.Configuration, appId);
        await using var publisher = await Sidecar.StartAsync(redis.Server.Configuration, appId: "ext-proc");
        var topic = DaprNames.CompletionsTopic;

        for (var i = 0; i < 20; i++)
            await publisher.Client.PublishByteEventAsync(DaprNames.FanOutPubSub, topic, Json($"{appId}-m{i}"));

        bool Mine(string s) => s.StartsWith(appId, StringComparison.Ordinal);
        await Poll.UntilAsync(() => a.Received.Where(Mine).Distinct().Count() == 20 && b.Received.Where(Mine).Distinct().Count() == 20, "both replicas to receive all 20");
        var groups = await publisher.StandIn.Redis.StreamGroupInfoAsync(topic);
        Assert.True(groups.Length >= 2, "one consumer group per replica");
    }

    [Fact]
    public async Task CompetingPubSub_TwoReplicasSharingTheAppId_ExactlyOneReceivesEachMessage()
    {
        var appId = "prefix-comp-" + Guid.NewGuid().ToString("N")[..6];
        await using var a = await AppReplica.StartAsync(redis.Server.Configuration, appId);
        await using var b = await AppReplica.StartAsync(redis.Server.Configuration, appId);
        await using var publisher = await Sidecar.StartAsync(redis.Server.Configuration, appId: "scheduler");
        var topic = DaprNames.RoutingDecisionsTopic;
        var ids = Enumerable.Range(0, 40).Select(i => $"{appId}-{i}").ToList();

        foreach (var id in ids)
            await publisher.Client.PublishByteEventAsync(DaprNames.PubSub, topic, Json(id));

        bool Mine(string s) => s.StartsWith(appId, StringComparison.Ordinal);
        await Poll.UntilAsync(() => a.Received.Where(Mine).Concat(b.Received.Where(Mine)).Distinct().Count() == ids.Count, "all messages to arrive");
        // Everything is acknowledged, so nothing can be delivered again: the counts are final.
        await Poll.UntilAsync(async () => await PendingAsync(a, topic, appId) == 0, "all acknowledged");
        var all = a.Received.Where(Mine).Concat(b.Received.Where(Mine)).ToList();
        Assert.Equal(ids.OrderBy(x => x, StringComparer.Ordinal), all.OrderBy(x => x, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Retry_IsRedelivered_UntilSuccess()
    {
        var appId = "retry-" + Guid.NewGuid().ToString("N")[..6];
        await using var app = await AppReplica.StartAsync(redis.Server.Configuration, appId,
            decide: (c, attempt) => c.RequestId == "flaky" && attempt < 3 ? TopicResult.Retry : TopicResult.Success);

        await app.Host.App.Services.GetRequiredService<IEventPublisher>()
            .PublishAsync(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, Completion("flaky"), ContractsJsonContext.Default.RequestCompletion);

        await Poll.UntilAsync(() => app.Received.Count(r => r == "flaky") >= 3, "three deliveries of the flaky message");
        await Poll.UntilAsync(async () => await PendingAsync(app, DaprNames.RoutingDecisionsTopic, appId) == 0, "the message to be acknowledged");
        Assert.Equal(3, app.Received.Count(r => r == "flaky"));
    }

    [Fact]
    public async Task Drop_IsNotRedelivered()
    {
        var appId = "drop-" + Guid.NewGuid().ToString("N")[..6];
        await using var app = await AppReplica.StartAsync(redis.Server.Configuration, appId,
            decide: (c, _) => c.RequestId == "poison" ? TopicResult.Drop : TopicResult.Success);
        var publisher = app.Host.App.Services.GetRequiredService<DaprClient>();

        await publisher.PublishByteEventAsync(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, Json("poison"));
        await publisher.PublishByteEventAsync(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, Json("after"));

        await Poll.UntilAsync(() => app.Received.Contains("after"), "the message after the poison one");
        await Poll.UntilAsync(async () => await PendingAsync(app, DaprNames.RoutingDecisionsTopic, appId) == 0, "both acknowledged");
        Assert.Equal(1, app.Received.Count(r => r == "poison"));
    }

    [Fact]
    public async Task RawPayload_IsDeliveredAsDataBase64_AndUnwrappedByUseCloudEvents()
    {
        var appId = "raw-" + Guid.NewGuid().ToString("N")[..6];
        await using var app = await AppReplica.StartAsync(redis.Server.Configuration, appId);
        var client = app.Host.App.Services.GetRequiredService<DaprClient>();

        await client.PublishByteEventAsync(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, Json("raw-1"), "application/json",
            new Dictionary<string, string> { [DaprMetadataKeys.RawPayload] = "true" });

        await Poll.UntilAsync(() => app.Received.Contains("raw-1"), "the raw message");
    }

    [Fact]
    public async Task Publish_ToAnUnknownPubSub_IsInvalidArgument()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration);

        var error = await Assert.ThrowsAnyAsync<DaprException>(() => sidecar.Client.PublishByteEventAsync("nope", "t", Json("x")));

        Assert.Equal(StatusCode.InvalidArgument, Assert.IsType<RpcException>(error.InnerException).StatusCode);
        Assert.Contains("ERR_PUBSUB_NOT_FOUND", error.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_WhileTheBrokerFails_ThrowsThroughThePublisher_AndWorksAgainAfter()
    {
        var appId = "fail-" + Guid.NewGuid().ToString("N")[..6];
        await using var app = await AppReplica.StartAsync(redis.Server.Configuration, appId);
        var publisher = app.Host.App.Services.GetRequiredService<IEventPublisher>();

        app.Sidecar.FailPublishes = true;
        var error = await Assert.ThrowsAnyAsync<DaprException>(async () =>
            await publisher.PublishAsync(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, Completion("lost"), ContractsJsonContext.Default.RequestCompletion));
        app.Sidecar.FailPublishes = false;
        await publisher.PublishAsync(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, Completion("kept"), ContractsJsonContext.Default.RequestCompletion);

        Assert.Equal(StatusCode.Internal, Assert.IsType<RpcException>(error.InnerException).StatusCode);
        await Poll.UntilAsync(() => app.Received.Contains("kept"), "the message published after the outage");
        Assert.DoesNotContain("lost", app.Received);
    }

    [Fact]
    public async Task AppTokens_FlowBothWays()
    {
        var appId = "tok-" + Guid.NewGuid().ToString("N")[..6];
        await using var app = await AppReplica.StartAsync(redis.Server.Configuration, appId,
            configure: o => o with { ApiToken = "to-sidecar", AppApiToken = "to-app" });
        var publisher = app.Host.App.Services.GetRequiredService<IEventPublisher>();

        await publisher.PublishAsync(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, Completion("tokened"), ContractsJsonContext.Default.RequestCompletion);

        await Poll.UntilAsync(() => app.Received.Contains("tokened"), "delivery with the app token");
        var ready = await app.Host.Client.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Subscribe_IsReadFromDaprAspNetCore_WhichWritesPubsubNameInCamelCase()
    {
        var appId = "sub-" + Guid.NewGuid().ToString("N")[..6];
        await using var app = await AppReplica.StartAsync(redis.Server.Configuration, appId);

        var json = await app.Host.Client.GetStringAsync(new Uri("/dapr/subscribe", UriKind.Relative));

        Assert.Contains("\"pubsubName\"", json, StringComparison.Ordinal);
        Assert.Contains(DaprNames.CompletionsTopic, json, StringComparison.Ordinal);
        Assert.Equal(2, (await app.Sidecar.Redis.StreamGroupInfoAsync(DaprNames.CompletionsTopic)).Count(g => g.Name.StartsWith(appId, StringComparison.Ordinal))
            + (await app.Sidecar.Redis.StreamGroupInfoAsync(DaprNames.RoutingDecisionsTopic)).Count(g => g.Name == appId));
    }
}
