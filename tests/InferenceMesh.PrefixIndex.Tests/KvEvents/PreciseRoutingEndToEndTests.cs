using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index.Exact;
using InferenceMesh.PrefixIndex.KvEvents;
using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.VllmSim.Http;
using Microsoft.Extensions.DependencyInjection;

namespace InferenceMesh.PrefixIndex.Tests.KvEvents;

/// <summary>
/// The real scheduler and prefix-index services, each behind its Dapr stand-in on one real redis-server, with a vllm-sim
/// server publishing KV events: a PRECISE_PREFIX_CACHE pool routes by what the engine reported (12 blocks, over the
/// silent endpoint's approximate 6; the scheduler's prefix lookup goes to <c>/match-precise</c> through Dapr invocation),
/// though the approximate index points at the silent endpoint, and an endpoint that publishes nothing keeps its
/// approximate record.
/// </summary>
public sealed class PreciseRoutingEndToEndTests : IAsyncLifetime
{
    private const string PrecisePool = "precise";
    private const string Silent = "127.0.0.1:9";
    private readonly RedisServer _redis = RedisServer.Start();
    private SimFleetHost _sim = null!;
    private SchedulerAndIndex _services = null!;
    private string _publishing = null!;

    public async Task InitializeAsync()
    {
        _sim = await KvTestSim.StartAsync(numGpuBlocks: 400);
        _publishing = _sim.BaseAddresses[0].Authority;
        _services = await SchedulerAndIndex.StartAsync(_redis, new Dictionary<string, string?>
        {
            ["KvEvents:Enabled"] = "true",
            ["KvEvents:Model"] = KvTestText.Model,
            ["KvEvents:LeaseMs"] = "1500",
            ["KvEvents:ReplayTimeoutMs"] = "300",
        }, new Dictionary<string, string?>
        {
            [$"Scheduler:Pools:{PrecisePool}:RoutingStrategy"] = PoolAnnotations.StrategyPrecisePrefixCache,
        });
        var publisher = KvTestSim.Publisher(_sim);
        var closed = ClosedPort();
        // The silent endpoint is followed too, at a port where nothing publishes.
        Consumer.PublisherResolver = e => e == _publishing ? publisher : (new Uri($"tcp://127.0.0.1:{closed}"), new Uri($"tcp://127.0.0.1:{closed}"));
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _sim.DisposeAsync();
        _redis.Dispose();
    }

    private PrefixIndexHost Index => _services.Index;

    private KvEventsConsumer Consumer => Index.App.Services.GetRequiredService<KvEventsConsumer>();

    private ExactBlockSets Sets => Index.App.Services.GetRequiredService<ExactBlockSets>();

    [Fact]
    public async Task Precise_pool_routes_by_the_engines_events_and_a_silent_endpoint_keeps_its_approximate_record()
    {
        await PublishSnapshotsAsync();
        await Poll.UntilAsync(() => Consumer.Following.Contains(_publishing) && Consumer.Following.Contains(Silent), "the index to follow both endpoints");

        // The engine behind the publishing endpoint computes the prompt; the approximate index believes the silent one holds
        // its first half (and knows nothing of the publishing one, which was never routed to).
        var cached = KvTestText.Prompt(50, 12);
        await KvTestSim.CompleteAsync(_sim, cached);
        var chain = KvTestText.PromptHashes(cached);
        await Poll.UntilAsync(async () => (await Sets.MembersAsync(_publishing)).IsSupersetOf(chain), "the engine's blocks in the exact set");
        await RecordAsync(Silent, chain[..6]);
        var elsewhere = KvTestText.PromptHashes(KvTestText.Prompt(60, 12));
        await RecordAsync(Silent, elsewhere);
        await Poll.UntilAsync(() => Consumer.UnansweredReplays(Silent) > 0, "the silent endpoint's replay request to go unanswered");

        var direct = await MatchAsync(PrefixIndexMethods.MatchPrecise, elsewhere);
        Assert.Equal(12, direct.Matches.GetValueOrDefault(Silent));
        Assert.False(direct.Matches.ContainsKey(_publishing));
        Assert.False(await Index.App.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase()
            .KeyExistsAsync("pi:xlive:" + Silent));

        // The approximate index points at the silent endpoint; the precise lookup at the engine that holds the prompt.
        var approximate = await MatchAsync("match", chain);
        Assert.Equal(6, approximate.Matches.GetValueOrDefault(Silent));
        Assert.False(approximate.Matches.ContainsKey(_publishing));
        Assert.Equal(12, (await MatchAsync(PrefixIndexMethods.MatchPrecise, chain)).Matches.GetValueOrDefault(_publishing));
        Assert.Equal(_publishing, await ScheduleAsync(PrecisePool, "precise-1", chain));
        Assert.Equal(Silent, await ScheduleAsync(PrecisePool, "precise-2", elsewhere));
    }

    private Task PublishSnapshotsAsync() =>
        _services.PublishSnapshotAsync(PrecisePool, Idle(Silent), Idle(_publishing));

    private static EndpointMetrics Idle(string address) => new(address, 0, 0, 0, [], [], 0, 16, 1000, 0, EndpointHealth.Healthy);

    private async Task<string?> ScheduleAsync(string pool, string id, ulong[] chain) =>
        (await _services.ScheduleAsync(new ScheduleRequest(id, pool, KvTestText.Model, KvTestText.Model, Criticality.Standard, "f", chain, chain.Length * 64, [], 0))).Endpoint;

    private async Task<PrefixMatchResponse> MatchAsync(string method, ulong[] chain)
    {
        using var invoker = new HttpClient { BaseAddress = _services.SchedulerSidecar.HttpEndpoint, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await invoker.PostAsJsonAsync($"/v1.0/invoke/{AppIds.PrefixIndex}/method/{method}",
            new PrefixMatchRequest(KvTestText.Model, chain, [Silent, _publishing]), ContractsJsonContext.Default.PrefixMatchRequest);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.PrefixMatchResponse))!;
    }

    private async Task RecordAsync(string endpoint, ulong[] chain)
    {
        using var response = await Index.Client.PostAsJsonAsync("/record", new PrefixRecordRequest(KvTestText.Model, endpoint, chain), ContractsJsonContext.Default.PrefixRecordRequest);
        response.EnsureSuccessStatusCode();
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
