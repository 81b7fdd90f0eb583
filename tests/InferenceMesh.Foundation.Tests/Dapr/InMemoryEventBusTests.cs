using System.Collections.Concurrent;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Foundation.Tests.Support;
using InferenceMesh.ServiceDefaults;

namespace InferenceMesh.Foundation.Tests.Dapr;

public sealed class InMemoryEventBusTests
{
    private static RequestCompletion Completion(string id) => new(id, "scheduler-1", "10.0.0.1:8000", 200, 10, 20, 1);

    private static DaprSubscription Recorder(string pubsub, ConcurrentBag<string> seen, string who, Func<int, TopicResult>? result = null)
    {
        var attempts = 0;
        return DaprSubscription.Create(pubsub, DaprNames.CompletionsTopic, "/c", ContractsJsonContext.Default.RequestCompletion, (c, _) =>
        {
            seen.Add($"{who}:{c.RequestId}");
            return ValueTask.FromResult(result?.Invoke(Interlocked.Increment(ref attempts)) ?? TopicResult.Success);
        });
    }

    [Fact]
    public async Task FanOutPubSub_DeliversToEveryReplica_CompetingPubSub_ToOneReplicaPerApp()
    {
        await using var bus = new InMemoryEventBus();
        var fanout = new ConcurrentBag<string>();
        var competing = new ConcurrentBag<string>();
        foreach (var replica in new[] { "s-1", "s-2" })
        {
            var registry = new DaprSubscriptionRegistry();
            registry.Add(Recorder(DaprNames.FanOutPubSub, fanout, replica));
            var other = DaprSubscription.Create(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, "/r", ContractsJsonContext.Default.RequestCompletion, (c, _) =>
            {
                competing.Add($"{replica}:{c.RequestId}");
                return ValueTask.FromResult(TopicResult.Success);
            });
            registry.Add(other);
            bus.Attach(registry, new ServiceIdentity("scheduler", replica));
        }

        for (var i = 0; i < 10; i++)
        {
            await bus.PublishAsync(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, Completion($"f{i}"), ContractsJsonContext.Default.RequestCompletion);
            await bus.PublishAsync(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, Completion($"c{i}"), ContractsJsonContext.Default.RequestCompletion);
        }

        await Poll.UntilAsync(() => fanout.Count == 20 && competing.Count == 10, "deliveries");
        Assert.Equal(10, fanout.Count(s => s.StartsWith("s-1:", StringComparison.Ordinal)));
        Assert.Equal(10, fanout.Count(s => s.StartsWith("s-2:", StringComparison.Ordinal)));
        Assert.Equal(10, competing.Select(s => s.Split(':')[1]).Distinct().Count());
    }

    [Fact]
    public async Task Retry_Redelivers_Drop_DoesNot()
    {
        await using var bus = new InMemoryEventBus { RetryDelay = TimeSpan.FromMilliseconds(1) };
        var retried = new ConcurrentBag<string>();
        var dropped = new ConcurrentBag<string>();
        bus.Subscribe(Recorder(DaprNames.FanOutPubSub, retried, "r", attempt => attempt < 3 ? TopicResult.Retry : TopicResult.Success), "g1");
        bus.Subscribe(Recorder(DaprNames.FanOutPubSub, dropped, "d", _ => TopicResult.Drop), "g2");

        await bus.PublishAsync(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, Completion("x"), ContractsJsonContext.Default.RequestCompletion);
        await bus.PublishAsync(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, Completion("marker"), ContractsJsonContext.Default.RequestCompletion);

        await Poll.UntilAsync(() => retried.Contains("r:marker") && dropped.Contains("d:marker"), "marker deliveries");
        Assert.Equal(3, retried.Count(s => s == "r:x"));
        Assert.Single(dropped, s => s == "d:x");
    }

    [Fact]
    public async Task DifferentPayloadType_IsDeliveredThroughJson()
    {
        await using var bus = new InMemoryEventBus();
        var got = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The subscriber reads only what it needs: a different record type with a compatible JSON shape.
        bus.Subscribe(DaprSubscription.Create(DaprNames.PubSub, "t", "/t", ContractsJsonContext.Default.ProblemReason, (e, _) =>
        {
            got.TrySetResult(e.Reason);
            return ValueTask.FromResult(TopicResult.Success);
        }), "g");

        await bus.PublishAsync(DaprNames.PubSub, "t", new OtherShape(1, "from json"), TestJsonContext.Default.OtherShape);

        Assert.Equal("from json", await got.Task.WaitAsync(Poll.DefaultTimeout));
    }
}
