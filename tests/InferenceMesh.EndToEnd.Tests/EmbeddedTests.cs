using System.Globalization;
using InferenceMesh.Bench.Workloads;
using InferenceMesh.Contracts;
using InferenceMesh.Embedded;
using InferenceMesh.Embedded.Ensemble;
using InferenceMesh.EndToEnd.Tests.Support;

namespace InferenceMesh.EndToEnd.Tests;

/// <summary>The main job's pieces: the in-process ensemble serves real OpenAI requests through the gateway in both routing
/// modes, the baseline picker counts outstanding requests, and a short comparison run reports both policies without errors.</summary>
[Trait("Category", "EndToEnd")]
public sealed class EmbeddedTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(120) };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Ensemble_ServesStreamingAndPlainRequests_OnFleetEndpoints(bool inferenceMesh)
    {
        var mode = inferenceMesh ? RoutingMode.InferenceMesh : RoutingMode.LeastRequest;
        await using var ensemble = await EmbeddedEnsemble.StartAsync(new EnsembleOptions { Servers = 3, TimeScale = 20 }, mode, CancellationToken.None);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => OpenAi.SendAsync(
            Http, ensemble.GatewayAddress, i % 3 == 0 ? "sql-lora" : new EnsembleOptions().Model,
            [("user", "embedded " + i.ToString(CultureInfo.InvariantCulture) + new string('e', 300))], stream: i % 2 == 0, maxTokens: 5)));

        Assert.All(results, r =>
        {
            Assert.Equal(200, r.Status);
            Assert.Contains(r.ServedBy, ensemble.Endpoints);
            Assert.Equal(5, r.CompletionTokens);
        });
        if (mode == RoutingMode.LeastRequest)
        {
            // ext-proc reports every completion back to the picker, so nothing stays outstanding.
            await Poll.UntilSucceedsAsync(() => Task.FromResult(ensemble.LeastRequest!.Outstanding == 0), "completions to reach the picker", TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task LeastRequest_PicksTheEndpointWithFewestOutstanding_AndCompletionFreesIt()
    {
        var picker = new LeastRequestScheduling(["a:1", "b:2"], seed: 1);
        var first = await picker.ScheduleAsync(Request("r1"), CancellationToken.None);
        var second = await picker.ScheduleAsync(Request("r2"), CancellationToken.None);
        await picker.CompleteAsync(new RequestCompletion("r1", "least-request", first.Endpoint!, 200, 1, 1, 0), CancellationToken.None);
        var third = await picker.ScheduleAsync(Request("r3"), CancellationToken.None);

        Assert.NotEqual(first.Endpoint, second.Endpoint);
        Assert.Equal(first.Endpoint, third.Endpoint);
        Assert.Equal(2, picker.Outstanding);
    }

    [Fact]
    public void RealRun_ShortWorkload_ComparesBothPoliciesWithoutErrors()
    {
        var options = new EnsembleOptions { Servers = 3, TimeScale = 20 };
        var workload = Scenarios.Create("embedded", 7, 24, options.Adapters);
        var target = new RealServicesTarget(options);

        var results = target.Run(workload, RealServicesTarget.Policies, _ => { });

        Assert.Equal(RealServicesTarget.Policies, results.Results.Select(r => r.Policy).ToArray());
        Assert.All(results.Results, r =>
        {
            Assert.Equal(workload.Requests.Count, r.Requests);
            Assert.Equal(0, r.Errors);
            Assert.True(r.TtftMs.Count > 0);
            Assert.True(r.PrefixQueriesTokens > 0);
            Assert.Equal(workload.Requests.Count, r.Servers.Sum(s => s.Requests));
        });
    }

    private static ScheduleRequest Request(string id) => new(id, "qwen", "m", "m", Criticality.Standard, id, [], 10, [], 0);
}
