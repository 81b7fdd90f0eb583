using System.Net.Http.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
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
        _sidecar = await StandIn.StartAsync(new StandInOptions { AppId = AppIds.PrefixIndex, Redis = _redis.Options });
        _host = await PrefixIndexHost.StartAsync(new Dictionary<string, string?>
        {
            ["PrefixIndex:Backend"] = "dapr",
            ["Dapr:HttpEndpoint"] = _sidecar.HttpEndpoint.ToString(),
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
        using var publisher = DaprClient.Create(new DaprClientOptions { HttpEndpoint = _sidecar.HttpEndpoint.ToString() });
        ulong[] chain = [11, 22, 33, 44];
        await publisher.PublishEventAsync(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic,
            new RoutingDecision("req-9", "pool", "llama", "10.1.0.1:8000", chain, "scheduler-x", Criticality.Critical, 5),
            ContractsJsonContext.Default.RoutingDecision);

        using var invoker = new HttpClient { BaseAddress = _sidecar.HttpEndpoint, Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.UntilAsync(async () =>
        {
            var response = await invoker.PostAsJsonAsync($"/v1.0/invoke/{AppIds.PrefixIndex}/method/match",
                new PrefixMatchRequest("llama", chain, ["10.1.0.1:8000", "10.1.0.2:8000"]), ContractsJsonContext.Default.PrefixMatchRequest);
            var match = await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.PrefixMatchResponse);
            return match!.Matches.GetValueOrDefault("10.1.0.1:8000") == 4 && match.Matches.Count == 1;
        }, "the published decision is recorded and visible through invocation");
    }
}
