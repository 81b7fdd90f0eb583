using System.Text;
using InferenceMesh.Contracts;
using InferenceMesh.VllmSim;
using InferenceMesh.VllmSim.Http;
using Microsoft.Extensions.Time.Testing;

namespace InferenceMesh.MetricsCollector.Tests.Integration;

/// <summary>The real collector scraping a real simulated vLLM fleet over loopback HTTP (issue 4, "Done when").</summary>
public sealed class CollectorAgainstVllmSimTests
{
    // A small KV cache so a handful of requests shows a clearly non-zero usage.
    private static readonly SimServerOptions LoraServer = new()
    {
        Profile = SimProfile.A10 with { NumGpuBlocks = 400 },
        LoraModules = [new LoraModule("travel", "/loras/travel"), new LoraModule("chat", "/loras/chat")],
        MaxLoras = 1,
    };

    private static string Address(Uri baseAddress) => $"127.0.0.1:{baseAddress.Port}";

    /// <summary>Streams a long chat completion until <paramref name="ct"/> is cancelled (the sim is frozen, so it never ends).</summary>
    private static Task StreamAsync(HttpClient http, Uri server, string model, int seed, CancellationToken ct)
    {
        var prompt = new StringBuilder();
        for (var i = 0; i < 300; i++)
            prompt.Append("word").Append(seed).Append('_').Append(i).Append(' ');
        var body = $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{prompt}}"}],"max_tokens":4000,"stream":true}""";
        return Task.Run(async () =>
        {
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(new Uri(server, "v1/chat/completions"), content, ct);
                await response.Content.ReadAsStringAsync(ct);
            }
            catch (OperationCanceledException)
            {
                // expected: the test ends the stream
            }
            catch (HttpRequestException)
            {
                // expected when the fleet is disposed under an open stream
            }
        }, CancellationToken.None);
    }

    private static bool SameSet(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        a.Count == b.Count && a.All(b.Contains);

    private sealed record Truth(int Waiting, int Running, double KvUsage, IReadOnlyList<string> RunningLoras, IReadOnlyList<string> WaitingLoras);

    private static Truth[] ReadTruth(SimFleetHost fleet) => fleet.Inspect(f => f.Servers
        .Select(s => new Truth(s.NumWaiting, s.NumRunning, s.KvUsage, [.. s.RunningLoraAdapters()], [.. s.WaitingLoraAdapters()]))
        .ToArray());

    private static bool Matches(EndpointStatus? status, Truth truth) =>
        status is { Health: EndpointHealth.Healthy, Metrics: { } m }
        && m.Waiting == truth.Waiting && m.Running == truth.Running && Math.Abs(m.KvUsage - truth.KvUsage) < 1e-6
        && SameSet(m.RunningLoras, truth.RunningLoras) && SameSet(m.WaitingLoras, truth.WaitingLoras);

    [Fact]
    public async Task CollectorView_MatchesTheSimulatorsTrueState_ForEveryServerOfALoadedFleet()
    {
        // Simulated time only moves when the test advances it: once the load has settled the fleet is frozen, so the
        // collector's next scrape must show exactly the state Inspect reads.
        var simTime = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero));
        await using var fleet = await SimFleetHost.StartAsync(new SimHostOptions { Servers = 3, Port = 0, Server = LoraServer }, simTime);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var stop = new CancellationTokenSource();
        var streams = new List<Task>();
        var urls = fleet.BaseAddresses;
        // Server 0: two "travel" requests run in the only adapter slot, one "chat" request waits for it.
        streams.Add(StreamAsync(http, urls[0], "travel", 1, stop.Token));
        streams.Add(StreamAsync(http, urls[0], "travel", 2, stop.Token));
        // Server 1: three base-model requests. Server 2 stays idle.
        for (var i = 0; i < 3; i++)
            streams.Add(StreamAsync(http, urls[1], LoraServer.ModelName, 10 + i, stop.Token));

        try
        {
            // "chat" must queue behind "travel" (first come, first served), so it is sent once both are in.
            await Poll.UntilAsync(() => fleet.Inspect(f => f.Servers[0].RequestsReceived == 2),
                "the sim received the travel requests", TimeSpan.FromSeconds(60));
            streams.Add(StreamAsync(http, urls[0], "chat", 3, stop.Token));
            await Poll.UntilAsync(() => fleet.Inspect(f => f.Servers[0].RequestsReceived == 3 && f.Servers[1].RequestsReceived == 3),
                "the sim received every request", TimeSpan.FromSeconds(60));
            // Step simulated time forward until every request is admitted (prefill done), far short of any finishing.
            await Poll.UntilAsync(() =>
            {
                simTime.Advance(TimeSpan.FromMilliseconds(5));
                var t = ReadTruth(fleet);
                return t[0] is { Running: 2, Waiting: 1 } && t[1] is { Running: 3, Waiting: 0 } && t[0].RunningLoras.Count == 1;
            }, "the load settled", TimeSpan.FromSeconds(60));

            var truth = ReadTruth(fleet);
            Assert.Equal(["travel"], truth[0].RunningLoras);
            Assert.Equal(["chat"], truth[0].WaitingLoras);
            Assert.True(truth[0].KvUsage > 0 && truth[1].KvUsage > truth[0].KvUsage / 2, "the load occupies KV cache");
            Assert.Equal(0, truth[2].Running + truth[2].Waiting);

            var addresses = urls.Select(Address).ToArray();
            await using var host = await CollectorHost.StartAsync(CollectorHost.PoolYaml("qwen", addresses));
            using var scheduler = new CollectorHost.SnapshotSubscriber(host.Bus, "scheduler-1");
            await Poll.UntilAsync(async () =>
            {
                var view = await host.EndpointsAsync();
                return addresses.Select((a, i) => Matches(view.FirstOrDefault(e => e.Address == a), truth[i])).All(ok => ok);
            }, "the collector's view matches the simulator", TimeSpan.FromSeconds(60));

            // The frozen fleet has not moved while we looked, so the match is against its state at the time of the scrape.
            var after = ReadTruth(fleet);
            for (var i = 0; i < truth.Length; i++)
                Assert.Equal((truth[i].Waiting, truth[i].Running, truth[i].KvUsage), (after[i].Waiting, after[i].Running, after[i].KvUsage));
            var lora = (await host.EndpointAsync(addresses[0]))!.Metrics!;
            Assert.Equal(1, lora.MaxLoras);
            Assert.Equal(LoraServer.Profile.BlockSize, lora.BlockSize);
            Assert.Equal(LoraServer.Profile.NumGpuBlocks, lora.NumBlocks);

            // Published snapshots carry the same numbers to the schedulers.
            await Poll.UntilAsync(() => scheduler.Last is { Endpoints.Count: 3 } s
                && addresses.Select((a, i) => s.Endpoints.FirstOrDefault(e => e.Address == a) is { } e
                    && e.Waiting == truth[i].Waiting && e.Running == truth[i].Running && Math.Abs(e.KvUsage - truth[i].KvUsage) < 1e-6
                    && SameSet(e.RunningLoras, truth[i].RunningLoras) && SameSet(e.WaitingLoras, truth[i].WaitingLoras)).All(ok => ok),
                "a published snapshot matches the simulator", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(streams);
        }
    }

    [Fact]
    public async Task KilledSimServer_TurnsUnhealthyWithinThreeScrapes_LeavesSnapshots_AndReturnsAfterRestartOnItsPort()
    {
        await using var fleet = await SimFleetHost.StartAsync(new SimHostOptions { Servers = 2, Port = 0, Server = LoraServer });
        // The victim is its own single-server fleet: a SimFleetHost stops all its servers at once.
        SimFleetHost? victim = await SimFleetHost.StartAsync(new SimHostOptions { Servers = 1, Port = 0, Server = LoraServer });
        var victimPort = victim.BaseAddresses[0].Port;
        var victimAddress = $"127.0.0.1:{victimPort}";
        var survivors = fleet.BaseAddresses.Select(Address).ToArray();
        try
        {
            await using var host = await CollectorHost.StartAsync(CollectorHost.PoolYaml("qwen", [.. survivors, victimAddress]));
            using var scheduler = new CollectorHost.SnapshotSubscriber(host.Bus, "scheduler-1");
            await Poll.UntilAsync(() => scheduler.Last is { Endpoints.Count: 3 } s && s.Endpoints.All(e => e.Health == EndpointHealth.Healthy),
                "all three sim servers are published healthy", TimeSpan.FromSeconds(60));

            // Watch the victim's row while it dies: its health must follow the count of failed scrapes.
            var observations = new List<(int Failures, EndpointHealth Health)>();
            using var watching = new CancellationTokenSource();
            var watcher = Task.Run(async () =>
            {
                while (!watching.IsCancellationRequested)
                {
                    if (await host.EndpointAsync(victimAddress) is { } e)
                        lock (observations) observations.Add((e.ConsecutiveFailures, e.Health));
                }
            });
            var killed = victim;
            victim = null;
            await killed.DisposeAsync();
            await Poll.UntilAsync(async () => (await host.EndpointAsync(victimAddress)) is { Health: EndpointHealth.Unhealthy, ConsecutiveFailures: >= 3 },
                "the killed sim server has failed three scrapes and is unhealthy", TimeSpan.FromSeconds(60));
            // On a loaded machine the watcher may not have run since: let it see the unhealthy row too before it stops.
            await Poll.UntilAsync(() =>
            {
                lock (observations)
                    return observations.Any(o => o.Health == EndpointHealth.Unhealthy);
            }, "the watcher to observe the unhealthy row", TimeSpan.FromSeconds(60));
            await watching.CancelAsync();
            await watcher;
            lock (observations)
            {
                // Measured in scrapes, not wall time: by the third failed scrape (in fact from the second) it is unhealthy.
                Assert.All(observations.Where(o => o.Failures >= 3), o => Assert.Equal(EndpointHealth.Unhealthy, o.Health));
                Assert.All(observations.Where(o => o.Failures >= 1), o => Assert.NotEqual(EndpointHealth.Healthy, o.Health));
            }
            Assert.False(string.IsNullOrEmpty((await host.EndpointAsync(victimAddress))!.LastError));

            var seqAtUnhealthy = scheduler.Last!.Sequence;
            await Poll.UntilAsync(() => scheduler.Last!.Sequence > seqAtUnhealthy + 2, "later snapshots arrive", TimeSpan.FromSeconds(60));
            var later = scheduler.Received.Where(s => s.Sequence > seqAtUnhealthy).ToList();
            Assert.NotEmpty(later);
            Assert.All(later, s => Assert.DoesNotContain(s.Endpoints, e => e.Address == victimAddress));
            Assert.All(later, s => Assert.All(survivors, a => Assert.Contains(s.Endpoints, e => e.Address == a)));

            // A new simulated server on the same port comes back healthy, in the API and in snapshots.
            victim = await SimFleetHost.StartAsync(new SimHostOptions { Servers = 1, Port = victimPort, Server = LoraServer });
            await Poll.UntilAsync(() => scheduler.Last is { } s && s.Endpoints.Any(e => e.Address == victimAddress && e.Health == EndpointHealth.Healthy),
                "the restarted sim server is published again", TimeSpan.FromSeconds(60));
            var back = (await host.EndpointAsync(victimAddress))!;
            Assert.Equal(EndpointHealth.Healthy, back.Health);
            Assert.Null(back.LastError);
            Assert.Equal(0, back.Metrics!.Running);
        }
        finally
        {
            if (victim is not null)
                await victim.DisposeAsync();
        }
    }
}
