using System.Net.Http.Json;
using InferenceMesh.Contracts;
using System.Text.Json;
using Dapr.Client;
using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using StandIn = InferenceMesh.DaprStandIn.DaprStandIn;
using StandInOptions = InferenceMesh.DaprStandIn.DaprStandInOptions;

namespace InferenceMesh.PrefixIndex.Tests.Service;

/// <summary>The service behind foundation's Dapr stand-in: routing decisions published on <c>pubsub</c> reach the
/// subscription and become records; invocation through the sidecar reaches the API; the dapr backend stores the index.</summary>
public sealed class PrefixIndexDaprEndToEndTests : IAsyncLifetime
{
    private readonly RedisServer _redis = RedisServer.Start();
    private StandIn _sidecar = null!;
    private PrefixIndexHost _host = null!;

    public async Task InitializeAsync()
    {
        _sidecar = await StandIn.StartAsync(new StandInOptions { AppId = AppIds.PrefixIndex, Redis = _redis.Configuration });
        _host = await PrefixIndexHost.StartAsync(new Dictionary<string, string?>
        {
            ["PrefixIndex:Backend"] = "dapr",
            ["DAPR_HTTP_ENDPOINT"] = _sidecar.HttpEndpoint.ToString(),
            ["DAPR_GRPC_ENDPOINT"] = _sidecar.GrpcEndpoint.ToString(),
        });
        await _sidecar.AttachAppAsync(_host.Address);
    }

    public async Task DisposeAsync()
    {
        await _sidecar.DisposeAsync();
        await _host.DisposeAsync();
        _redis.Dispose();
    }

    [Fact]
    public async Task PublishedRoutingDecision_IsRecorded_AndMatchedThroughInvocation()
    {
        using var publisher = new DaprClientBuilder().UseGrpcEndpoint(_sidecar.GrpcEndpoint.ToString()).UseHttpEndpoint(_sidecar.HttpEndpoint.ToString()).Build();
        ulong[] chain = [11, 22, 33, 44];
        await publisher.PublishByteEventAsync(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, JsonSerializer.SerializeToUtf8Bytes(
            new RoutingDecision("req-9", "pool", "llama", "10.1.0.1:8000", chain, "scheduler-x", Criticality.Critical, 5),
            ContractsJsonContext.Default.RoutingDecision));

        using var invoker = new HttpClient { BaseAddress = _sidecar.HttpEndpoint, Timeout = TimeSpan.FromSeconds(10) };
        await Poll.UntilSucceedsAsync(async () =>
        {
            var response = await invoker.PostAsJsonAsync($"/v1.0/invoke/{AppIds.PrefixIndex}/method/match",
                new PrefixMatchRequest("llama", chain, ["10.1.0.1:8000", "10.1.0.2:8000"]), ContractsJsonContext.Default.PrefixMatchRequest);
            var match = await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.PrefixMatchResponse);
            return match!.Matches.GetValueOrDefault("10.1.0.1:8000") == 4 && match.Matches.Count == 1;
        }, "the published decision is recorded and visible through invocation");
    }
}
