using System.Text;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Foundation.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace InferenceMesh.Foundation.Tests.Dapr;

/// <summary>Publish through the client, delivery through the stand-in (Redis Streams, consumer groups) to the app side.</summary>
public sealed class PubSubIntegrationTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static RequestCompletion Completion(string id) => new(id, "scheduler-x", "10.0.0.1:8000", 200, 1, 2, 3);

    private static async Task<long> PendingAsync(AppReplica replica, string topic, string group)
    {
        var summary = await replica.Sidecar.Redis.ExecuteAsync("XPENDING", topic, group);
        return summary[0].AsInt64();
    }

    [Fact]
    public async Task FanOutPubSub_TwoReplicasWithDistinctConsumerIds_BothReceiveEveryMessage()
    {
        var appId = "sched-fan-" + Guid.NewGuid().ToString("N")[..6];
        await using var a = await AppReplica.StartAsync(redis.Server.Options, appId);
        await using var b = await AppReplica.StartAsync(redis.Server.Options, appId);
        await using var publisher = await Sidecar.StartAsync(redis.Server.Options, appId: "ext-proc");
        var topic = DaprNames.CompletionsTopic;

        for (var i = 0; i < 20; i++)
            await publisher.Client.PublishEventAsync(DaprNames.FanOutPubSub, topic, Completion($"m{i}"), ContractsJsonContext.Default.RequestCompletion);

        await Poll.UntilAsync(() => a.Received.Distinct().Count() == 20 && b.Received.Distinct().Count() == 20, "both replicas to receive all 20");
        var groups = await publisher.StandIn.Redis.ExecuteAsync("XINFO", "GROUPS", topic);
        Assert.True(groups.Count >= 2, "one consumer group per replica");
    }

    [Fact]
    public async Task CompetingPubSub_TwoReplicasSharingTheAppId_ExactlyOneReceivesEachMessage()
    {
        var appId = "prefix-comp-" + Guid.NewGuid().ToString("N")[..6];
        await using var a = await AppReplica.StartAsync(redis.Server.Options, appId);
        await using var b = await AppReplica.StartAsync(redis.Server.Options, appId);
        await using var publisher = await Sidecar.StartAsync(redis.Server.Options, appId: "scheduler");
        var topic = DaprNames.RoutingDecisionsTopic;
        var ids = Enumerable.Range(0, 40).Select(i => $"{appId}-{i}").ToList();

        foreach (var id in ids)
            await publisher.Client.PublishEventAsync(DaprNames.PubSub, topic, Completion(id), ContractsJsonContext.Default.RequestCompletion);

        var mine = (string s) => s.StartsWith(appId, StringComparison.Ordinal);
        await Poll.UntilAsync(() => a.Received.Where(mine).Concat(b.Received.Where(mine)).Distinct().Count() == ids.Count, "all messages to arrive");
        // Everything is acknowledged, so nothing can be delivered again: the counts are final.
        await Poll.UntilAsync(async () => await PendingAsync(a, topic, appId) == 0, "all acknowledged");
        var all = a.Received.Where(mine).Concat(b.Received.Where(mine)).ToList();
        Assert.Equal(ids.Count, all.Count);
        Assert.Equal(ids.OrderBy(x => x, StringComparer.Ordinal), all.OrderBy(x => x, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Retry_IsRedelivered_UntilSuccess()
    {
        var appId = "retry-" + Guid.NewGuid().ToString("N")[..6];
        await using var app = await AppReplica.StartAsync(redis.Server.Options, appId,
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
        await using var app = await AppReplica.StartAsync(redis.Server.Options, appId,
            decide: (c, _) => c.RequestId == "poison" ? TopicResult.Drop : TopicResult.Success);
        var publisher = app.Host.App.Services.GetRequiredService<DaprClient>();

        await publisher.PublishEventAsync(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, Completion("poison"), ContractsJsonContext.Default.RequestCompletion);
        await publisher.PublishEventAsync(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, Completion("after"), ContractsJsonContext.Default.RequestCompletion);

        await Poll.UntilAsync(() => app.Received.Contains("after"), "the message after the poison one");
        await Poll.UntilAsync(async () => await PendingAsync(app, DaprNames.RoutingDecisionsTopic, appId) == 0, "both acknowledged");
        Assert.Equal(1, app.Received.Count(r => r == "poison"));
    }

    [Fact]
    public async Task RawPayload_IsDeliveredAsDataBase64_AndUnwrapped()
    {
        var appId = "raw-" + Guid.NewGuid().ToString("N")[..6];
        await using var app = await AppReplica.StartAsync(redis.Server.Options, appId);
        var client = app.Host.App.Services.GetRequiredService<DaprClient>();
        var payload = Encoding.UTF8.GetBytes("""{"requestId":"raw-1","schedulerReplica":"s","endpoint":"e","statusCode":200,"promptTokens":1,"completionTokens":1,"completedAtUnixMs":1}""");

        await client.PublishRawAsync(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, payload, "application/json",
            new Dictionary<string, string> { [DaprMetadata.RawPayload] = "true" });

        await Poll.UntilAsync(() => app.Received.Contains("raw-1"), "the raw message");
    }

    [Fact]
    public async Task Publish_ToAnUnknownPubSub_ThrowsWithTheDaprErrorCode()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options);

        var error = await Assert.ThrowsAsync<DaprApiException>(() =>
            sidecar.Client.PublishEventAsync("nope", "t", Completion("x"), ContractsJsonContext.Default.RequestCompletion));

        Assert.Equal("ERR_PUBSUB_NOT_FOUND", error.ErrorCode);
    }

    [Fact]
    public async Task AppTokens_FlowBothWays()
    {
        var appId = "tok-" + Guid.NewGuid().ToString("N")[..6];
        await using var app = await AppReplica.StartAsync(redis.Server.Options, appId,
            configure: o => o with { ApiToken = "to-sidecar", AppApiToken = "to-app" });
        var publisher = app.Host.App.Services.GetRequiredService<IEventPublisher>();

        await publisher.PublishAsync(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, Completion("tokened"), ContractsJsonContext.Default.RequestCompletion);

        await Poll.UntilAsync(() => app.Received.Contains("tokened"), "delivery with the app token");
        var ready = await app.Host.Client.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
    }
}
