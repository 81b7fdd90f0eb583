using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using InferenceMesh.Contracts;
using InferenceMesh.DaprStandIn;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>Two scheduler replicas, each behind its own Dapr sidecar stand-in on one real redis-server: a dispatch of one
/// replica reaches the other through <c>pubsub-fanout</c>/<c>scheduler-dispatches</c> and counts there until the
/// request's completion (published as ext-proc does) arrives; in a PREFIX_CACHE pool (PREFILL_WORK) its placement is
/// credited there too.</summary>
public sealed class InFlightSharingDaprTests : IAsyncLifetime
{
    private readonly RedisServerProcess _redis = RedisServerProcess.Start();
    private readonly List<IAsyncDisposable> _owned = [];
    private SchedulerHost _a = null!;
    private SchedulerHost _b = null!;
    private DaprStandIn.DaprStandIn _sidecarB = null!;

    public async Task InitializeAsync()
    {
        (_a, _) = await StartReplicaAsync();
        (_b, _sidecarB) = await StartReplicaAsync();
    }

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
            await _owned[i].DisposeAsync();
        _redis.Dispose();
    }

    [Fact]
    public async Task Dispatch_OnOneReplica_CountsOnTheOther_UntilItsCompletion()
    {
        await _a.SnapshotAsync(1, Fleet.Endpoint("10.0.0.1:8000"));
        await _b.SnapshotAsync(1, Fleet.Endpoint("10.0.0.1:8000"));

        var (status, body) = await _a.ScheduleAsync(new ScheduleRequest("shared-1", "pool-a", "m", "m", Criticality.Standard, "f", [1, 2], 100, [], 0));
        Assert.Equal(200, status);
        await Poll.UntilAsync(async () => await SinceSnapshotOnB() == 1, "replica B to count replica A's dispatch");

        using var extProc = new DaprClientBuilder().UseGrpcEndpoint(_sidecarB.GrpcEndpoint.ToString()).UseHttpEndpoint(_sidecarB.HttpEndpoint.ToString()).Build();
        await extProc.PublishByteEventAsync(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, JsonSerializer.SerializeToUtf8Bytes(
            new RequestCompletion("shared-1", body.SchedulerReplica, body.Endpoint!, 200, 2, 1, 0), ContractsJsonContext.Default.RequestCompletion));

        await Poll.UntilAsync(async () => await SinceSnapshotOnB() == 0, "replica B to stop counting it after the completion");
        Assert.NotEqual(body.SchedulerReplica, (await _b.Client.GetFromJsonAsync<JsonElement>("/queue")).GetProperty("replica").GetString());
    }

    [Fact]
    public async Task Placement_OnOneReplica_IsFollowedByTheOther()
    {
        // A places a 200-block prompt on .2; B then picks a prompt sharing it. B has no prefix-index match (no index runs
        // here) and counts .2 one request busier from A's event: only the placement sample the event carried over the real
        // fan-out topic makes .2 B's pick.
        EndpointMetrics[] fleet = [Fleet.Endpoint("10.0.0.1:8000", waiting: 2), Fleet.Endpoint("10.0.0.2:8000", waiting: 2)];
        await _a.SnapshotAsync(1, fleet);
        await _b.SnapshotAsync(1, fleet);
        var context = Enumerable.Range(1, 200).Select(i => (ulong)i).ToArray();

        var (status, placed) = await _a.ScheduleAsync(new ScheduleRequest("agent-step-1", "pool-a", "m", "m", Criticality.Standard, "f", context, 12_800,
            ["10.0.0.2:8000"], 0));
        Assert.Equal(200, status);
        Assert.Equal("10.0.0.2:8000", placed.Endpoint);
        await Poll.UntilAsync(async () => await SinceSnapshotOnB(endpoint: 1) == 1, "replica B to count replica A's dispatch");

        var next = Enumerable.Range(1, 260).Select(i => (ulong)i).ToArray();
        var (nextStatus, followed) = await _b.ScheduleAsync(new ScheduleRequest("agent-step-2", "pool-a", "m", "m", Criticality.Standard, "f", next, 16_640, [], 0));

        Assert.Equal(200, nextStatus);
        Assert.Equal("10.0.0.2:8000", followed.Endpoint);
    }

    private async Task<int> SinceSnapshotOnB(int endpoint = 0)
    {
        var pools = await _b.Client.GetFromJsonAsync<JsonElement>("/pool");
        return pools[0].GetProperty("endpoints")[endpoint].GetProperty("sinceSnapshot").GetInt32();
    }

    private async Task<(SchedulerHost Host, DaprStandIn.DaprStandIn Sidecar)> StartReplicaAsync()
    {
        var sidecar = await DaprStandIn.DaprStandIn.StartAsync(new DaprStandInOptions { AppId = AppIds.Scheduler, Redis = _redis.Configuration });
        _owned.Add(sidecar);
        var host = await SchedulerHost.StartAsync(new Dictionary<string, string?>
        {
            ["DAPR_HTTP_ENDPOINT"] = sidecar.HttpEndpoint.ToString(),
            ["DAPR_GRPC_ENDPOINT"] = sidecar.GrpcEndpoint.ToString(),
            ["Scheduler:Pools:pool-a:RoutingStrategy"] = PoolAnnotations.StrategyPrefixCache,
        });
        _owned.Add(host);
        await sidecar.AttachAppAsync(host.Client.BaseAddress!);
        return (host, sidecar);
    }
}
