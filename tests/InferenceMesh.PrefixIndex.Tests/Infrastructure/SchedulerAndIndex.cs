using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using InferenceMesh.Contracts;
using InferenceMesh.Scheduler;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandIn = InferenceMesh.DaprStandIn.DaprStandIn;
using StandInOptions = InferenceMesh.DaprStandIn.DaprStandInOptions;

namespace InferenceMesh.PrefixIndex.Tests.Infrastructure;

/// <summary>The real prefix-index and scheduler services on loopback port 0, each behind its Dapr stand-in on one
/// redis-server: the scheduler's prefix-index calls go through its stand-in's invocation, snapshots published through
/// it reach both. The scheduler is tuned for a loaded machine: one snapshot lasts the whole test, lookups get 10 s.</summary>
internal sealed class SchedulerAndIndex : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    private SchedulerAndIndex()
    {
    }

    public PrefixIndexHost Index { get; private set; } = null!;

    public StandIn SchedulerSidecar { get; private set; } = null!;

    /// <summary>The scheduler's own HTTP address.</summary>
    public Uri Scheduler { get; private set; } = null!;

    public static async Task<SchedulerAndIndex> StartAsync(RedisServer redis, IDictionary<string, string?> indexSettings, IDictionary<string, string?> schedulerSettings)
    {
        var pair = new SchedulerAndIndex();
        try
        {
            pair.Index = await PrefixIndexHost.StartAsync(new Dictionary<string, string?>(indexSettings)
            {
                ["PrefixIndex:Backend"] = "redis",
                ["PrefixIndex:Redis"] = redis.Configuration,
            });
            pair._owned.Add(pair.Index);
            var indexSidecar = await StandIn.StartAsync(new StandInOptions { AppId = AppIds.PrefixIndex, Redis = redis.Configuration });
            pair._owned.Add(indexSidecar);
            await indexSidecar.AttachAppAsync(pair.Index.Address);

            pair.SchedulerSidecar = await StandIn.StartAsync(new StandInOptions
            {
                AppId = AppIds.Scheduler,
                Redis = redis.Configuration,
                AppAddresses = new Dictionary<string, Uri> { [AppIds.PrefixIndex] = pair.Index.Address },
            });
            pair._owned.Add(pair.SchedulerSidecar);
            pair.Scheduler = await pair.StartSchedulerAsync(schedulerSettings);
            await pair.SchedulerSidecar.AttachAppAsync(pair.Scheduler);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    /// <summary>Publishes one pool snapshot on the fan-out topic (as the collector does) and waits until the scheduler knows the pool.</summary>
    public async Task PublishSnapshotAsync(string pool, params EndpointMetrics[] endpoints)
    {
        using var dapr = new DaprClientBuilder().UseGrpcEndpoint(SchedulerSidecar.GrpcEndpoint.ToString()).UseHttpEndpoint(SchedulerSidecar.HttpEndpoint.ToString()).Build();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var fresh = endpoints.Select(e => e with { ScrapedAtUnixMs = now }).ToArray();
        await dapr.PublishByteEventAsync(DaprNames.FanOutPubSub, DaprNames.EndpointMetricsTopic,
            JsonSerializer.SerializeToUtf8Bytes(new PoolSnapshot(pool, "c1", 1, now, fresh), ContractsJsonContext.Default.PoolSnapshot));
        await Poll.UntilAsync(async () =>
        {
            using var http = new HttpClient { BaseAddress = Scheduler };
            var pools = await http.GetFromJsonAsync<JsonElement>("/pool");
            return pools.GetArrayLength() == 1;
        }, "the scheduler to know the pool");
    }

    /// <summary>POST /schedule on the scheduler.</summary>
    public async Task<ScheduleResponse> ScheduleAsync(ScheduleRequest request)
    {
        using var http = new HttpClient { BaseAddress = Scheduler, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.PostAsJsonAsync("/schedule", request, ContractsJsonContext.Default.ScheduleRequest);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ScheduleResponse))!;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
            await _owned[i].DisposeAsync();
    }

    private async Task<Uri> StartSchedulerAsync(IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["DAPR_HTTP_ENDPOINT"] = SchedulerSidecar.HttpEndpoint.ToString(),
            ["DAPR_GRPC_ENDPOINT"] = SchedulerSidecar.GrpcEndpoint.ToString(),
            // One snapshot for the whole test, however slow the machine: never fail open (which ignores prefixes).
            ["Scheduler:StalenessMs"] = "600000",
            ["Scheduler:FailOpenAfterMs"] = "0",
            // Invocation through the stand-in on a loaded machine: the default 50 ms lookup budget would often run out.
            ["Scheduler:PrefixMatchTimeoutMs"] = "10000",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults(AppIds.Scheduler);
        builder.AddScheduler();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapSchedulerApi();
        await app.StartAsync();
        _owned.Add(app);
        return new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }
}
