using System.Net;
using InferenceMesh.Contracts;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>The collector app against fake model servers on real Kestrel: scraping, health, snapshots, fan-out.</summary>
public sealed class CollectorIntegrationTests
{
    private static bool Matches(EndpointStatus? s, int waiting, int running, double kv) =>
        s?.Metrics is { } m && s.Health == EndpointHealth.Healthy && m.Waiting == waiting && m.Running == running && m.KvUsage == kv;

    [Fact]
    public async Task View_FollowsTheServersNumbers_WithinOneScrape()
    {
        await using var server = await FakeModelServer.StartAsync();
        server.Body = Fixtures.Vllm(3, 2, 0.25, "travel-helper-v1", "chat", 4);
        await using var host = await CollectorHost.StartAsync(CollectorHost.PoolYaml("qwen", server.Address));

        await Poll.UntilAsync(async () => Matches(await host.EndpointAsync(server.Address), 3, 2, 0.25), "the first numbers are seen");
        var first = (await host.EndpointAsync(server.Address))!.Metrics!;
        Assert.Equal(["travel-helper-v1"], first.RunningLoras);
        Assert.Equal(["chat"], first.WaitingLoras);
        Assert.Equal(4, first.MaxLoras);
        Assert.Equal(16, first.BlockSize);
        Assert.Equal(4096, first.NumBlocks);

        for (var round = 1; round <= 3; round++)
        {
            server.Body = Fixtures.Vllm(10 + round, round, round / 10.0);
            await Poll.UntilAsync(async () => Matches(await host.EndpointAsync(server.Address), 10 + round, round, round / 10.0),
                $"round {round} numbers are seen");
        }
    }

    [Fact]
    public async Task KilledServer_IsUnhealthyAfterTwoFailedScrapes_LeavesSnapshots_AndReturnsAfterRestart()
    {
        await using var a = await FakeModelServer.StartAsync();
        await using var b = await FakeModelServer.StartAsync();
        a.Body = Fixtures.Vllm(1, 1, 0.1);
        b.Body = Fixtures.Vllm(2, 2, 0.2);
        await using var host = await CollectorHost.StartAsync(CollectorHost.PoolYaml("qwen", a.Address, b.Address));
        using var scheduler = new CollectorHost.SnapshotSubscriber(host.Bus, "scheduler-1");

        await Poll.UntilAsync(() => scheduler.Last is { Endpoints.Count: 2 } s && s.Endpoints.All(e => e.Health == EndpointHealth.Healthy),
            "both endpoints are published healthy");

        // Watch the endpoint while the server dies: the judgement must follow the failure count, scrape by scrape.
        var observations = new List<(int Failures, EndpointHealth Health)>();
        using var watching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                if (await host.EndpointAsync(a.Address) is { } e)
                    lock (observations) observations.Add((e.ConsecutiveFailures, e.Health));
            }
        });
        await a.KillAsync();
        await Poll.UntilAsync(async () => (await host.EndpointAsync(a.Address))?.Health == EndpointHealth.Unhealthy,
            "the killed server is unhealthy");
        await watching.CancelAsync();
        await watcher;
        lock (observations)
        {
            // Healthy with no failure, Stale after the first failed scrape, Unhealthy from the second: within three intervals.
            // (With no failure it may still read Stale if the loaded machine delayed a scrape past the staleness bound.)
            Assert.All(observations, o => Assert.Contains(o.Health, o.Failures switch
            {
                0 => [EndpointHealth.Healthy, EndpointHealth.Stale],
                1 => [EndpointHealth.Stale],
                _ => new[] { EndpointHealth.Unhealthy },
            }));
        }
        var status = (await host.EndpointAsync(a.Address))!;
        Assert.False(string.IsNullOrEmpty(status.LastError));
        var seqAtUnhealthy = scheduler.Last!.Sequence;
        await Poll.UntilAsync(() => scheduler.Last!.Sequence > seqAtUnhealthy + 1, "later snapshots arrive");
        var later = scheduler.Received.Where(s => s.Sequence > seqAtUnhealthy).ToList();
        Assert.All(later, s => Assert.DoesNotContain(s.Endpoints, e => e.Address == a.Address));
        Assert.All(later, s => Assert.Contains(s.Endpoints, e => e.Address == b.Address));

        await a.RestartAsync();
        await Poll.UntilAsync(() => scheduler.Last is { } s && s.Endpoints.Any(e => e.Address == a.Address && e.Health == EndpointHealth.Healthy),
            "the restarted server is published again");
        Assert.Null((await host.EndpointAsync(a.Address))!.LastError);
    }

    [Fact]
    public async Task HungServer_IsPublishedAsStale_NotWithFreshNumbers()
    {
        await using var server = await FakeModelServer.StartAsync();
        server.Body = Fixtures.Vllm(5, 5, 0.5);
        await using var host = await CollectorHost.StartAsync(CollectorHost.PoolYaml("qwen", server.Address), s =>
        {
            s["Collector:StalenessThreshold"] = "00:00:00.300";
            s["Collector:ScrapeTimeout"] = "00:00:30";
            s["Collector:UnhealthyThreshold"] = "00:01:00";
        });
        using var scheduler = new CollectorHost.SnapshotSubscriber(host.Bus, "scheduler-1");
        await Poll.UntilAsync(async () => Matches(await host.EndpointAsync(server.Address), 5, 5, 0.5), "healthy first");

        server.Delay = TimeSpan.FromSeconds(25);
        await Poll.UntilAsync(() => scheduler.Last is { Endpoints.Count: > 0 } s && s.Endpoints[0].Health == EndpointHealth.Stale,
            "the endpoint is published as stale while its scrape hangs");
        server.Delay = TimeSpan.Zero;
    }

    [Fact]
    public async Task TwoSubscribersWithDistinctConsumerGroups_BothReceiveEverySnapshot_InIncreasingSequence()
    {
        await using var server = await FakeModelServer.StartAsync();
        server.Body = Fixtures.Vllm(1, 2, 0.3);
        CollectorHost.SnapshotSubscriber? one = null, two = null;
        await using var host = await CollectorHost.StartAsync(CollectorHost.PoolYaml("qwen", server.Address), beforeStart: bus =>
        {
            one = new CollectorHost.SnapshotSubscriber(bus, "scheduler-replica-a");
            two = new CollectorHost.SnapshotSubscriber(bus, "scheduler-replica-b");
        });
        using var a = one!;
        using var b = two!;
        await Poll.UntilAsync(() => a.Received.Count >= 20 && b.Received.Count >= 20, "20 snapshots each");
        await host.App.StopAsync(); // no more publishing: the two streams can be compared whole
        await Poll.UntilAsync(() => a.Received.Count == b.Received.Count, "both drained");

        var seqA = a.Received.Select(s => s.Sequence).ToList();
        var seqB = b.Received.Select(s => s.Sequence).ToList();
        Assert.Equal(seqA, seqB);
        Assert.True(seqA.Zip(seqA.Skip(1)).All(p => p.Second > p.First), "sequences must strictly increase");
        Assert.All(a.Received, s => Assert.Equal("qwen", s.Pool));
        Assert.Single(a.Received.Select(s => s.CollectorId).Distinct());
    }

    [Fact]
    public async Task Snapshots_AreSavedThrottled_AndServedByTheApi()
    {
        await using var server = await FakeModelServer.StartAsync();
        server.Body = Fixtures.Vllm(4, 0, 0.75);
        await using var host = await CollectorHost.StartAsync(CollectorHost.PoolYaml("qwen", server.Address));
        using var scheduler = new CollectorHost.SnapshotSubscriber(host.Bus, "scheduler-1");
        await Poll.UntilAsync(() => host.Store.Saved.Count >= 3, "three saves");

        var saved = host.Store.Saved.ToArray();
        Assert.All(saved, s => Assert.Equal("qwen", s.Pool));
        // Not every snapshot is saved (the exact throttle is checked with virtual time in SnapshotPublisherTests).
        Assert.True(saved[^1].Sequence - saved[0].Sequence > saved.Length - 1, "every snapshot was saved");

        var latest = await host.Http.GetAsync(new Uri("/snapshots/qwen", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, latest.StatusCode);
        var missing = await host.Http.GetAsync(new Uri("/snapshots/nope", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("nope", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var pools = await host.Http.GetStringAsync(new Uri("/pools", UriKind.Relative));
        Assert.Contains("\"name\":\"qwen\"", pools, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PoolFileEdit_AddsAndRemovesScrapedEndpoints()
    {
        await using var a = await FakeModelServer.StartAsync();
        await using var b = await FakeModelServer.StartAsync();
        await using var host = await CollectorHost.StartAsync(CollectorHost.PoolYaml("qwen", a.Address));
        using var scheduler = new CollectorHost.SnapshotSubscriber(host.Bus, "scheduler-1");
        await Poll.UntilAsync(() => scheduler.Last is { Endpoints.Count: 1 }, "one endpoint");

        await File.WriteAllTextAsync(host.PoolFilePath, CollectorHost.PoolYaml("qwen", b.Address));
        await Poll.UntilAsync(() => scheduler.Last is { Endpoints.Count: 1 } s && s.Endpoints[0].Address == b.Address,
            "the edited file's endpoint replaced the old one");
        Assert.DoesNotContain(await host.EndpointsAsync(), e => e.Address == a.Address);
    }

    [Fact]
    public async Task TwoCollectorReplicas_PublishSideBySide_EachWithItsOwnIncreasingSequence()
    {
        await using var server = await FakeModelServer.StartAsync();
        server.Body = Fixtures.Vllm(1, 1, 0.5);
        await using var bus = new Dapr.InMemoryEventBus();
        using var scheduler = new CollectorHost.SnapshotSubscriber(bus, "scheduler-1");
        var yaml = CollectorHost.PoolYaml("qwen", server.Address);
        await using (var one = await CollectorHost.StartAsync(yaml, bus: bus))
        await using (var two = await CollectorHost.StartAsync(yaml, bus: bus))
        {
            await Poll.UntilAsync(() => scheduler.Received.Select(s => s.CollectorId).Distinct().Count() == 2
                                                   && scheduler.Received.Count >= 20, "snapshots from both collectors");
        }
        var byCollector = scheduler.Received.GroupBy(s => s.CollectorId).ToList();
        Assert.Equal(2, byCollector.Count);
        foreach (var g in byCollector)
        {
            // Deliveries of one consumer group are ordered, so each collector's sequence arrives strictly increasing:
            // a subscriber keeping the last sequence per (pool, collector) drops nothing fresh and everything replayed.
            var seq = g.Select(s => s.Sequence).ToList();
            Assert.True(seq.Zip(seq.Skip(1)).All(p => p.Second > p.First), $"collector {g.Key} out of order");
        }
    }

    [Theory]
    [InlineData("Collector:ScrapeInterval", "00:00:00", "Collector:ScrapeInterval")]
    [InlineData("Collector:StalenessThreshold", "00:00:00.010", "Collector:StalenessThreshold")]
    [InlineData("Collector:PoolFile", "missing.yaml", "Collector:PoolFile: file not found")]
    [InlineData("Collector:UnhealthyAfterFailures", "0", "Collector:UnhealthyAfterFailures")]
    public async Task BadConfiguration_FailsAtStart_NamingTheKey(string key, string value, string expected)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => CollectorHost.StartAsync(CollectorHost.PoolYaml("qwen", "127.0.0.1:1"),
            s => s[key] = value));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
