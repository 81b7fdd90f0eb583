using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;
using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StandIn = InferenceMesh.DaprStandIn.DaprStandIn;
using StandInOptions = InferenceMesh.DaprStandIn.DaprStandInOptions;

namespace InferenceMesh.PrefixIndex.Tests.Service;

/// <summary>
/// The real scheduler and prefix-index services, each behind its Dapr stand-in on one real redis-server: completions
/// that report the server's cache hit (<c>cachedTokens</c>, as ext-proc reads it from the response's usage) move the
/// capacity of an endpoint whose engine never reported its KV size, through the scheduler's timer and Dapr invocation of
/// <c>/capacity-feedback</c>; an endpoint whose snapshot carries <c>numBlocks</c> keeps the engine's size (WhenUnknown).
/// </summary>
public sealed class CapacityFeedbackEndToEndTests : IAsyncLifetime
{
    private const string Pool = "chat";
    private const string Model = "m";
    private const string Guessed = "10.0.0.1:8000";
    private const string Reported = "10.0.0.2:8000";
    private const int ReportedBlocks = 4000;
    private readonly RedisServer _redis = RedisServer.Start();
    private readonly List<IAsyncDisposable> _owned = [];
    private PrefixIndexHost _index = null!;
    private StandIn _schedulerSidecar = null!;
    private Uri _scheduler = null!;

    public async Task InitializeAsync()
    {
        _index = await PrefixIndexHost.StartAsync(new Dictionary<string, string?>
        {
            ["PrefixIndex:Backend"] = "redis",
            ["PrefixIndex:Redis"] = _redis.Configuration,
        });
        _owned.Add(_index);
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
        var (app, address) = await SchedulerApp.StartAsync(_schedulerSidecar, new Dictionary<string, string?>
        {
            [$"Scheduler:Pools:{Pool}:RoutingStrategy"] = PoolAnnotations.StrategyPrefixCache,
            ["Scheduler:CapacityFeedbackIntervalMs"] = "100",
        });
        _owned.Add(app);
        await _schedulerSidecar.AttachAppAsync(address);
        _scheduler = address;
    }

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
            await _owned[i].DisposeAsync();
        _redis.Dispose();
    }

    [Fact]
    public async Task ReportedHits_MoveTheGuessedCapacity_AndLeaveTheEngineReportedOne()
    {
        await PublishSnapshotAsync();
        // The engine-reported size reaches the index through the same snapshot (prefix-index's endpoint lifecycle).
        await Poll.UntilAsync(async () => await CapacityAsync(Reported) == ReportedBlocks, "the reported endpoint's capacity from numBlocks");
        using (var put = await _index.Client.PutAsJsonAsync($"/endpoints/{Guessed}/capacity", new CapacityRequest(500), PrefixIndexJsonContext.Default.CapacityRequest))
            put.EnsureSuccessStatusCode();

        // Each endpoint holds a 12-block chain in the index; the server reports only 2 blocks served from its cache.
        foreach (var (endpoint, seed) in new[] { (Guessed, 1UL), (Reported, 1_000UL) })
        {
            var chain = Enumerable.Range(0, 12).Select(i => seed + (ulong)i).ToArray();
            using (var record = await _index.Client.PostAsJsonAsync("/record", new PrefixRecordRequest(Model, endpoint, chain), ContractsJsonContext.Default.PrefixRecordRequest))
                record.EnsureSuccessStatusCode();
            var id = "r-" + endpoint;
            var scheduled = await ScheduleAsync(id, chain, [endpoint]);
            Assert.Equal(endpoint, scheduled.Endpoint);
            var completion = new RequestCompletion(id, scheduled.SchedulerReplica, endpoint, 200, 192, 8, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
            {
                CachedTokens = 2 * 16,
            };
            using var http = new HttpClient { BaseAddress = _scheduler };
            using var complete = await http.PostAsJsonAsync("/complete", completion, ContractsJsonContext.Default.RequestCompletion);
            complete.EnsureSuccessStatusCode();
        }

        // 10 blocks promised and not served: 500 − 0.5 × 10.
        await Poll.UntilAsync(async () => await CapacityAsync(Guessed) == 495, "the guessed capacity to shrink by the feedback");
        Assert.Equal(ReportedBlocks, await CapacityAsync(Reported));
    }

    private async Task<int> CapacityAsync(string endpoint) =>
        await _index.App.Services.GetRequiredService<IPrefixIndex>().GetCapacityAsync(endpoint, default);

    private async Task PublishSnapshotAsync()
    {
        using var dapr = new DaprClientBuilder().UseGrpcEndpoint(_schedulerSidecar.GrpcEndpoint.ToString()).UseHttpEndpoint(_schedulerSidecar.HttpEndpoint.ToString()).Build();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        EndpointMetrics[] endpoints =
        [
            new(Guessed, 0, 0, 0, [], [], 0, 16, 0, now, EndpointHealth.Healthy),
            new(Reported, 0, 0, 0, [], [], 0, 16, ReportedBlocks, now, EndpointHealth.Healthy),
        ];
        await dapr.PublishByteEventAsync(DaprNames.FanOutPubSub, DaprNames.EndpointMetricsTopic,
            JsonSerializer.SerializeToUtf8Bytes(new PoolSnapshot(Pool, "c1", 1, now, endpoints), ContractsJsonContext.Default.PoolSnapshot));
        await Poll.UntilAsync(async () =>
        {
            using var http = new HttpClient { BaseAddress = _scheduler };
            var pools = await http.GetFromJsonAsync<JsonElement>("/pool");
            return pools.GetArrayLength() == 1;
        }, "the scheduler to know the pool");
    }

    private async Task<ScheduleResponse> ScheduleAsync(string id, ulong[] chain, IReadOnlyList<string> subset)
    {
        var request = new ScheduleRequest(id, Pool, Model, Model, Criticality.Standard, "f", chain, chain.Length * 64, subset, 0);
        using var http = new HttpClient { BaseAddress = _scheduler, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.PostAsJsonAsync("/schedule", request, ContractsJsonContext.Default.ScheduleRequest);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ScheduleResponse))!;
    }
}
