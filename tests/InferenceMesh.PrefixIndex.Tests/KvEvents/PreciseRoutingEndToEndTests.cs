using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Dapr.Client;
using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index.Exact;
using InferenceMesh.PrefixIndex.KvEvents;
using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.VllmSim.Http;
using Microsoft.Extensions.DependencyInjection;
using StandIn = InferenceMesh.DaprStandIn.DaprStandIn;
using StandInOptions = InferenceMesh.DaprStandIn.DaprStandInOptions;

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
    private readonly List<IAsyncDisposable> _owned = [];
    private SimFleetHost _sim = null!;
    private PrefixIndexHost _index = null!;
    private StandIn _schedulerSidecar = null!;
    private Uri _scheduler = null!;
    private string _publishing = null!;

    public async Task InitializeAsync()
    {
        _sim = await KvTestSim.StartAsync(numGpuBlocks: 400);
        _publishing = _sim.BaseAddresses[0].Authority;
        _index = await PrefixIndexHost.StartAsync(new Dictionary<string, string?>
        {
            ["PrefixIndex:Backend"] = "redis",
            ["PrefixIndex:Redis"] = _redis.Configuration,
            ["KvEvents:Enabled"] = "true",
            ["KvEvents:Model"] = KvTestText.Model,
            ["KvEvents:LeaseMs"] = "1500",
            ["KvEvents:ReplayTimeoutMs"] = "300",
        });
        _owned.Add(_index);
        var publisher = KvTestSim.Publisher(_sim);
        var closed = ClosedPort();
        // The silent endpoint is followed too, at a port where nothing publishes.
        Consumer.PublisherResolver = e => e == _publishing ? publisher : (new Uri($"tcp://127.0.0.1:{closed}"), new Uri($"tcp://127.0.0.1:{closed}"));
        var indexSidecar = await StandIn.StartAsync(new StandInOptions { AppId = AppIds.PrefixIndex, Redis = _redis.Configuration });
        _owned.Add(indexSidecar);
        await indexSidecar.AttachAppAsync(_index.Address);

        _schedulerSidecar = await StandIn.StartAsync(new StandInOptions
        {
            AppId = AppIds.Scheduler,
            Redis = _redis.Configuration,
            AppAddresses = new Dictionary<string, Uri> { [AppIds.PrefixIndex] = _index.Address },
        });
        _owned.Add(_schedulerSidecar);
        var scheduler = await StartSchedulerAsync(_schedulerSidecar);
        await _schedulerSidecar.AttachAppAsync(scheduler);
        _scheduler = scheduler;
    }

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
            await _owned[i].DisposeAsync();
        await _sim.DisposeAsync();
        _redis.Dispose();
    }

    private KvEventsConsumer Consumer => _index.App.Services.GetRequiredService<KvEventsConsumer>();

    private ExactBlockSets Sets => _index.App.Services.GetRequiredService<ExactBlockSets>();

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
        Assert.False(await _index.App.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase()
            .KeyExistsAsync("pi:xlive:" + Silent));

        // The approximate index points at the silent endpoint; the precise lookup at the engine that holds the prompt.
        var approximate = await MatchAsync("match", chain);
        Assert.Equal(6, approximate.Matches.GetValueOrDefault(Silent));
        Assert.False(approximate.Matches.ContainsKey(_publishing));
        Assert.Equal(12, (await MatchAsync(PrefixIndexMethods.MatchPrecise, chain)).Matches.GetValueOrDefault(_publishing));
        Assert.Equal(_publishing, await ScheduleAsync(PrecisePool, "precise-1", chain));
        Assert.Equal(Silent, await ScheduleAsync(PrecisePool, "precise-2", elsewhere));
    }

    private async Task PublishSnapshotsAsync()
    {
        using var dapr = new DaprClientBuilder().UseGrpcEndpoint(_schedulerSidecar.GrpcEndpoint.ToString()).UseHttpEndpoint(_schedulerSidecar.HttpEndpoint.ToString()).Build();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        EndpointMetrics[] endpoints = [Idle(Silent, now), Idle(_publishing, now)];
        await dapr.PublishByteEventAsync(DaprNames.FanOutPubSub, DaprNames.EndpointMetricsTopic,
            JsonSerializer.SerializeToUtf8Bytes(new PoolSnapshot(PrecisePool, "c1", 1, now, endpoints), ContractsJsonContext.Default.PoolSnapshot));
        await Poll.UntilAsync(async () =>
        {
            using var http = new HttpClient { BaseAddress = _scheduler };
            var pools = await http.GetFromJsonAsync<JsonElement>("/pool");
            return pools.GetArrayLength() == 1;
        }, "the scheduler to know the pool");
    }

    private static EndpointMetrics Idle(string address, long now) => new(address, 0, 0, 0, [], [], 0, 16, 1000, now, EndpointHealth.Healthy);

    private async Task<string?> ScheduleAsync(string pool, string id, ulong[] chain)
    {
        var request = new ScheduleRequest(id, pool, KvTestText.Model, KvTestText.Model, Criticality.Standard, "f", chain, chain.Length * 64, [], 0);
        using var http = new HttpClient { BaseAddress = _scheduler, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.PostAsJsonAsync("/schedule", request, ContractsJsonContext.Default.ScheduleRequest);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ScheduleResponse))!.Endpoint;
    }

    private async Task<PrefixMatchResponse> MatchAsync(string method, ulong[] chain)
    {
        using var invoker = new HttpClient { BaseAddress = _schedulerSidecar.HttpEndpoint, Timeout = TimeSpan.FromSeconds(10) };
        using var response = await invoker.PostAsJsonAsync($"/v1.0/invoke/{AppIds.PrefixIndex}/method/{method}",
            new PrefixMatchRequest(KvTestText.Model, chain, [Silent, _publishing]), ContractsJsonContext.Default.PrefixMatchRequest);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.PrefixMatchResponse))!;
    }

    private async Task RecordAsync(string endpoint, ulong[] chain)
    {
        using var response = await _index.Client.PostAsJsonAsync("/record", new PrefixRecordRequest(KvTestText.Model, endpoint, chain), ContractsJsonContext.Default.PrefixRecordRequest);
        response.EnsureSuccessStatusCode();
    }

    private async Task<Uri> StartSchedulerAsync(StandIn sidecar)
    {
        var (app, address) = await SchedulerApp.StartAsync(sidecar, new Dictionary<string, string?>
        {
            [$"Scheduler:Pools:{PrecisePool}:RoutingStrategy"] = PoolAnnotations.StrategyPrecisePrefixCache,
        });
        _owned.Add(app);
        return address;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
