using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index.Exact;
using InferenceMesh.PrefixIndex.KvEvents;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.KvEvents;

/// <summary>A throw-away redis-server and helpers to run real consumers against it.</summary>
internal sealed class KvEventsConsumerFixture
{
    private readonly RedisServer _redis = RedisServer.Start();
    private readonly List<KvEventsConsumer> _consumers = [];

    public KvEventsConsumerFixture()
    {
        Redis = ConnectionMultiplexer.Connect(_redis.Configuration);
        Sets = new ExactBlockSets(Redis, "kvt");
    }

    public ConnectionMultiplexer Redis { get; }

    public ExactBlockSets Sets { get; }

    public static PoolSnapshot Snapshot(params string[] endpoints)
    {
        var list = new List<EndpointMetrics>();
        foreach (var e in endpoints)
            list.Add(new EndpointMetrics(e, 0, 0, 0, [], [], 0, 16, 100, 0, EndpointHealth.Healthy));
        return new PoolSnapshot("pool", "collector", 1, 0, list);
    }

    public async Task<KvEventsConsumer> StartConsumerAsync(Func<string, (Uri, Uri)?> resolve, TimeProvider? time = null, int removeAfterSeconds = 30)
    {
        var options = new KvEventsOptions
        {
            Enabled = true,
            Model = KvTestText.Model,
            LeaseMs = 3_000,
            ReplayTimeoutMs = 5_000,
            RemoveAbsentAfterSeconds = removeAfterSeconds,
        };
        var consumer = new KvEventsConsumer(Options.Create(options), Sets, time ?? TimeProvider.System, NullLogger<KvEventsConsumer>.Instance)
        {
            PublisherResolver = resolve,
        };
        await consumer.StartAsync(CancellationToken.None);
        _consumers.Add(consumer);
        return consumer;
    }

    public async Task StopAsync(KvEventsConsumer consumer)
    {
        await consumer.StopAsync(CancellationToken.None);
        _consumers.Remove(consumer);
        consumer.Dispose();
    }

    /// <summary>Waits until the endpoint's stored set is exactly <paramref name="expected"/>.</summary>
    public Task UntilSetAsync(string endpoint, IEnumerable<ulong> expected, string what)
    {
        var want = expected.ToHashSet();
        return Poll.UntilAsync(async () => (await Sets.MembersAsync(endpoint)).SetEquals(want), what);
    }

    /// <summary>Stops the consumers, then the store (IAsyncLifetime owners call it from their DisposeAsync).</summary>
    public async Task CloseAsync()
    {
        foreach (var c in _consumers.ToArray())
            await StopAsync(c);
        await Redis.DisposeAsync();
        _redis.Dispose();
    }
}
