using System.Net.Http.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;
using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

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
    private SchedulerAndIndex _services = null!;

    public async Task InitializeAsync() =>
        _services = await SchedulerAndIndex.StartAsync(_redis, new Dictionary<string, string?>(), new Dictionary<string, string?>
        {
            [$"Scheduler:Pools:{Pool}:RoutingStrategy"] = PoolAnnotations.StrategyPrefixCache,
            ["Scheduler:CapacityFeedbackIntervalMs"] = "100",
        });

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _redis.Dispose();
    }

    [Fact]
    public async Task ReportedHits_MoveTheGuessedCapacity_AndLeaveTheEngineReportedOne()
    {
        await _services.PublishSnapshotAsync(Pool,
            new EndpointMetrics(Guessed, 0, 0, 0, [], [], 0, 16, 0, 0, EndpointHealth.Healthy),
            new EndpointMetrics(Reported, 0, 0, 0, [], [], 0, 16, ReportedBlocks, 0, EndpointHealth.Healthy));
        // The engine-reported size reaches the index through the same snapshot (prefix-index's endpoint lifecycle).
        await Poll.UntilAsync(async () => await CapacityAsync(Reported) == ReportedBlocks, "the reported endpoint's capacity from numBlocks");
        using (var put = await _services.Index.Client.PutAsJsonAsync($"/endpoints/{Guessed}/capacity", new CapacityRequest(500), PrefixIndexJsonContext.Default.CapacityRequest))
            put.EnsureSuccessStatusCode();

        // Each endpoint holds a 12-block chain in the index; the server reports only 2 blocks served from its cache.
        foreach (var (endpoint, seed) in new[] { (Guessed, 1UL), (Reported, 1_000UL) })
        {
            var chain = Enumerable.Range(0, 12).Select(i => seed + (ulong)i).ToArray();
            using (var record = await _services.Index.Client.PostAsJsonAsync("/record", new PrefixRecordRequest(Model, endpoint, chain), ContractsJsonContext.Default.PrefixRecordRequest))
                record.EnsureSuccessStatusCode();
            var id = "r-" + endpoint;
            var scheduled = await _services.ScheduleAsync(new ScheduleRequest(id, Pool, Model, Model, Criticality.Standard, "f", chain, chain.Length * 64, [endpoint], 0));
            Assert.Equal(endpoint, scheduled.Endpoint);
            var completion = new RequestCompletion(id, scheduled.SchedulerReplica, endpoint, 200, 192, 8, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
            {
                CachedTokens = 2 * 16,
            };
            using var http = new HttpClient { BaseAddress = _services.Scheduler };
            using var complete = await http.PostAsJsonAsync("/complete", completion, ContractsJsonContext.Default.RequestCompletion);
            complete.EnsureSuccessStatusCode();
        }

        // 10 blocks promised and not served: 500 − 0.5 × 10.
        await Poll.UntilAsync(async () => await CapacityAsync(Guessed) == 495, "the guessed capacity to shrink by the feedback");
        Assert.Equal(ReportedBlocks, await CapacityAsync(Reported));
    }

    private async Task<int> CapacityAsync(string endpoint) =>
        await _services.Index.App.Services.GetRequiredService<IPrefixIndex>().GetCapacityAsync(endpoint, default);
}
