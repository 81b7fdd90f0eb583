using System.Net;
using System.Net.Http.Json;
using System.Text;
using InferenceMesh.Contracts;
using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Prefix.Index;
using Microsoft.Extensions.DependencyInjection;

namespace InferenceMesh.PrefixIndex.Tests.Service;

/// <summary>Two prefix-index processes' worth of real service (in-process WebApplications) sharing one real redis-server.</summary>
public sealed class PrefixIndexServiceTests : IAsyncLifetime
{
    private readonly RedisServer _redis = RedisServer.Start();
    private DaprStandIn.DaprStandIn _sidecar = null!;
    private PrefixIndexHost _one = null!;
    private PrefixIndexHost _two = null!;
    private readonly Random _random = new(99);

    public async Task InitializeAsync()
    {
        _sidecar = await DaprStandIn.DaprStandIn.StartAsync(new DaprStandIn.DaprStandInOptions { AppId = AppIds.PrefixIndex, Redis = _redis.Configuration });
        _one = await PrefixIndexHost.StartAsync(Settings());
        _two = await PrefixIndexHost.StartAsync(Settings());
        await WaitReady(_one);
        await WaitReady(_two);
    }

    private Dictionary<string, string?> Settings(int redisTimeoutMs = 500) => new()
    {
        ["PrefixIndex:Backend"] = "redis",
        ["PrefixIndex:Redis"] = $"127.0.0.1:{_redis.Port},protocol=3",
        ["PrefixIndex:RedisTimeoutMs"] = redisTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["PrefixIndex:DefaultCapacity"] = "1000",
        ["DAPR_HTTP_ENDPOINT"] = _sidecar.HttpEndpoint.ToString(),
        ["DAPR_GRPC_ENDPOINT"] = _sidecar.GrpcEndpoint.ToString(),
    };

    public async Task DisposeAsync()
    {
        await _one.DisposeAsync();
        await _two.DisposeAsync();
        await _sidecar.DisposeAsync();
        _redis.Dispose();
    }

    private static Task WaitReady(PrefixIndexHost host) =>
        Poll.UntilSucceedsAsync(async () => (await host.Client.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.OK, "the service is ready");

    private ulong[] Chain(int n)
    {
        var chain = new ulong[n];
        for (var i = 0; i < n; i++)
            chain[i] = (ulong)_random.NextInt64();
        return chain;
    }

    private static async Task<PrefixMatchResponse> Match(PrefixIndexHost host, string model, ulong[] chain, params string[] candidates)
    {
        var response = await host.Client.PostAsJsonAsync("/match", new PrefixMatchRequest(model, chain, candidates), ContractsJsonContext.Default.PrefixMatchRequest);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.PrefixMatchResponse))!;
    }

    private static async Task Record(PrefixIndexHost host, string model, string endpoint, ulong[] chain)
    {
        var response = await host.Client.PostAsJsonAsync("/record", new PrefixRecordRequest(model, endpoint, chain), ContractsJsonContext.Default.PrefixRecordRequest);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task RecordThroughOneInstance_IsMatchedThroughTheOther()
    {
        var chain = Chain(20);
        await Record(_one, "llama", "10.0.0.1:8000", chain);

        var match = await Match(_two, "llama", chain, "10.0.0.1:8000", "10.0.0.2:8000");
        Assert.Equal(20, match.TotalBlocks);
        Assert.Equal(new Dictionary<string, int> { ["10.0.0.1:8000"] = 20 }, match.Matches);

        var both = await _two.Client.PostAsJsonAsync("/match-and-record",
            new PrefixMatchAndRecordRequest("llama", chain[..10], ["10.0.0.1:8000", "10.0.0.2:8000"], "10.0.0.2:8000"),
            ContractsJsonContext.Default.PrefixMatchAndRecordRequest);
        var first = (await both.Content.ReadFromJsonAsync(ContractsJsonContext.Default.PrefixMatchResponse))!;
        Assert.Equal(10, first.Matches["10.0.0.1:8000"]);
        Assert.False(first.Matches.ContainsKey("10.0.0.2:8000"));
        Assert.Equal(10, (await Match(_one, "llama", chain, "10.0.0.2:8000")).Matches["10.0.0.2:8000"]);
    }

    [Fact]
    public async Task CapacityAndPurge_ThroughTheApi()
    {
        var put = await _one.Client.PutAsJsonAsync("/endpoints/e1/capacity", new CapacityRequest(5), PrefixIndexJsonContext.Default.CapacityRequest);
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        var older = Chain(4);
        var newer = Chain(4);
        await Record(_one, "m", "e1", older);
        await Record(_two, "m", "e1", newer);
        Assert.Equal(4, (await Match(_one, "m", newer, "e1")).Matches["e1"]);
        Assert.Equal(1, (await Match(_two, "m", older, "e1")).Matches["e1"]);

        var stats = (await _two.Client.GetFromJsonAsync("/stats", PrefixIndexJsonContext.Default.PrefixIndexStats))!;
        var e1 = Assert.Single(stats.Endpoints, e => e.Endpoint == "e1");
        Assert.Equal((5L, 5), (e1.Entries, e1.Capacity));
        Assert.True(stats.Evictions >= 3);

        var purge = await _two.Client.DeleteAsync("/endpoints/e1");
        var purged = (await purge.Content.ReadFromJsonAsync(PrefixIndexJsonContext.Default.PurgeResult))!;
        Assert.Equal(5, purged.Removed);
        Assert.Empty((await Match(_one, "m", newer, "e1")).Matches);
    }

    [Fact]
    public async Task RedisKilled_AnswersNoMatchFast_NotReady_ThenRecovers()
    {
        // A 30 s Redis timeout: if a call waited for Redis instead of failing fast, the 10 s HTTP timeout would trip.
        await using var patient = await PrefixIndexHost.StartAsync(Settings(redisTimeoutMs: 30_000));
        await WaitReady(patient);
        var chain = Chain(8);
        await Record(patient, "m", "e", chain);
        Assert.Equal(8, (await Match(patient, "m", chain, "e")).Matches["e"]);

        _redis.Kill();

        await Poll.UntilSucceedsAsync(async () => (await patient.Client.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.ServiceUnavailable, "readiness reports the store down");
        for (var i = 0; i < 20; i++)
        {
            var match = await Match(patient, "m", chain, "e");
            Assert.Empty(match.Matches);
            Assert.Equal(8, match.TotalBlocks);
            await Record(patient, "m", "e", chain);
        }
        Assert.Equal(HttpStatusCode.OK, (await patient.Client.GetAsync("/healthz/live")).StatusCode);

        _redis.Restart();
        await WaitReady(patient);
        await Poll.UntilSucceedsAsync(async () =>
        {
            await Record(patient, "m", "e", chain);
            return (await Match(_one, "m", chain, "e")).Matches.GetValueOrDefault("e") == 8;
        }, "records and matches work again on the restarted (empty) server");
    }

    [Theory]
    [InlineData("/match", """{"blockHashes":[1],"candidates":["a"]}""", "'model' is required")]
    [InlineData("/match", """{"model":"","blockHashes":[1],"candidates":["a"]}""", "'model' is required")]
    [InlineData("/match", """{"model":"m","candidates":["a"]}""", "'blockHashes' is required")]
    [InlineData("/match", """{"model":"m","blockHashes":[1],"candidates":["a",""]}""", "'candidates[1]' is empty")]
    [InlineData("/match", """{"model":"m","blockHashes":[1,""",  "Malformed JSON")]
    [InlineData("/match", """[1,2,3]""", "Malformed JSON")]
    [InlineData("/match", """null""", "must be a JSON object")]
    [InlineData("/record", """{"model":"m","blockHashes":[1]}""", "'endpoint' is required")]
    [InlineData("/match-and-record", """{"model":"m","blockHashes":[1],"candidates":["a"]}""", "'endpoint' is required")]
    [InlineData("/match", """{"model":"m","blockHashes":[-1],"candidates":["a"]}""", "Malformed JSON")]
    public async Task BadRequests_Get400WithAReason(string path, string body, string reason)
    {
        var response = await _one.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ProblemReason))!;
        Assert.Equal(400, problem.Status);
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
    }

    private static async Task<PrefixCapacityFeedbackResponse> Feedback(PrefixIndexHost host, params (string Endpoint, long Over, long Under)[] evidence)
    {
        var body = new PrefixCapacityFeedback([.. evidence.Select(e => new PrefixCapacityEvidence(e.Endpoint, e.Over, e.Under))]);
        var response = await host.Client.PostAsJsonAsync("/" + PrefixIndexMethods.CapacityFeedback, body, ContractsJsonContext.Default.PrefixCapacityFeedback);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.PrefixCapacityFeedbackResponse))!;
    }

    [Fact]
    public async Task CapacityFeedback_ThroughTheApi_AnswersTheCapacities_SharedByTheReplicas()
    {
        var put = await _one.Client.PutAsJsonAsync("/endpoints/e1/capacity", new CapacityRequest(500), PrefixIndexJsonContext.Default.CapacityRequest);
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);

        var answer = await Feedback(_one, ("e1", 40, 0), ("e2", 0, 400), ("e3", 0, 0));
        Assert.Equal(new Dictionary<string, int> { ["e1"] = 540, ["e2"] = 800, ["e3"] = 1000 }, answer.Capacities);

        // The other replica reads the same store: no evidence answers what the first one wrote, and its records use it.
        Assert.Equal(new Dictionary<string, int> { ["e1"] = 540, ["e2"] = 800 }, (await Feedback(_two, ("e1", 0, 0), ("e2", 0, 0))).Capacities);
        await Record(_two, "m", "e2", Chain(3));
        var stats = (await _one.Client.GetFromJsonAsync("/stats", PrefixIndexJsonContext.Default.PrefixIndexStats))!;
        Assert.Equal(800, Assert.Single(stats.Endpoints, e => e.Endpoint == "e2").Capacity);
    }

    [Fact]
    public void CapacityFeedbackService_IsTheSameSingletonAsTheIndexService()
    {
        var services = _one.App.Services;
        Assert.Same(services.GetRequiredService<IPrefixIndexService>(), services.GetRequiredService<IPrefixCapacityFeedbackService>());
    }

    [Theory]
    [InlineData("""{"endpoints":[{"endpoint":"a","overBlocks":-1,"underBlocks":0}]}""", "'endpoints[0].overBlocks' is -1")]
    [InlineData("""{"endpoints":[{"endpoint":"a","overBlocks":0,"underBlocks":-2}]}""", "'endpoints[0].underBlocks' is -2")]
    [InlineData("""{"endpoints":[{"overBlocks":1,"underBlocks":0}]}""", "'endpoints[0].endpoint' is required")]
    [InlineData("""{"endpoints":[{"endpoint":"","overBlocks":1,"underBlocks":0}]}""", "'endpoints[0].endpoint' is required")]
    [InlineData("""{"endpoints":[null]}""", "'endpoints[0]' is null")]
    [InlineData("""{}""", "'endpoints' is required")]
    [InlineData("""{"endpoints":[{"endpoint":"a","overBlocks":1.5}]}""", "Malformed JSON")]
    [InlineData("""{"endpoints":[{"endpoint":"a",""", "Malformed JSON")]
    [InlineData("""null""", "must be a JSON object")]
    public async Task CapacityFeedback_BadRequests_Get400WithAReason_AndChangeNothing(string body, string reason)
    {
        var response = await _one.Client.PostAsync("/capacity-feedback", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ProblemReason))!;
        Assert.Equal(400, problem.Status);
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
        Assert.Equal(1000, (await Feedback(_one, ("a", 0, 0))).Capacities["a"]);
    }

    [Fact]
    public async Task AdminRoutes_StoreDown_Answer503WithTheReason()
    {
        Assert.Equal(HttpStatusCode.OK, (await _one.Client.GetAsync("/stats")).StatusCode);
        _redis.Kill();
        await Poll.UntilSucceedsAsync(async () => (await _one.Client.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.ServiceUnavailable, "readiness reports the store down");

        // Stats, purge and capacity read or write the store itself: nothing to fall back to, so 503 and why, not 500.
        foreach (var response in new[]
        {
            await _one.Client.GetAsync("/stats"),
            await _one.Client.DeleteAsync("/endpoints/e1"),
            await _one.Client.PutAsJsonAsync("/endpoints/e1/capacity", new CapacityRequest(100), PrefixIndexJsonContext.Default.CapacityRequest),
        })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var problem = (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ProblemReason))!;
            Assert.Equal(503, problem.Status);
            Assert.Contains("prefix store (redis) is unavailable", problem.Reason, StringComparison.Ordinal);
        }

        _redis.Restart();
        await WaitReady(_one);
        await Poll.UntilSucceedsAsync(async () => (await _one.Client.GetAsync("/stats")).StatusCode == HttpStatusCode.OK, "stats again on the restarted server");
    }

    [Fact]
    public async Task CapacityFeedback_StoreDown_Answers200WithoutTheUnknownCapacities()
    {
        Assert.Equal(1000, (await Feedback(_one, ("a", 0, 0))).Capacities["a"]);
        _redis.Kill();
        await Poll.UntilSucceedsAsync(async () => (await _one.Client.GetAsync("/healthz/ready")).StatusCode == HttpStatusCode.ServiceUnavailable, "readiness reports the store down");

        Assert.Empty((await Feedback(_one, ("a", 40, 0))).Capacities);

        _redis.Restart();
        await WaitReady(_one);
        await Poll.UntilSucceedsAsync(async () => (await Feedback(_one, ("a", 40, 0))).Capacities.GetValueOrDefault("a") == 1040, "feedback applies again on the restarted (empty) server");
    }

    [Fact]
    public async Task CapacityFeedback_WithAnAppToken_RequiresIt()
    {
        var settings = Settings();
        settings["APP_API_TOKEN"] = "s3cret";
        await using var host = await PrefixIndexHost.StartAsync(settings);
        var body = """{"endpoints":[{"endpoint":"a","overBlocks":2,"underBlocks":0}]}""";

        var without = await host.Client.PostAsync("/capacity-feedback", new StringContent(body, Encoding.UTF8, "application/json"));
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "/capacity-feedback") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        wrong.Headers.Add("dapr-api-token", "guess");
        var withWrong = await host.Client.SendAsync(wrong);
        using var right = new HttpRequestMessage(HttpMethod.Post, "/capacity-feedback") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        right.Headers.Add("dapr-api-token", "s3cret");
        var withToken = await host.Client.SendAsync(right);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withWrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        var answer = (await withToken.Content.ReadFromJsonAsync(ContractsJsonContext.Default.PrefixCapacityFeedbackResponse))!;
        Assert.Equal(1002, answer.Capacities["a"]); // 2 over-blocks × 1 (the default step), once: the refused calls changed nothing
    }

    [Fact]
    public async Task TooManyHashes_Get400NamingTheLimit()
    {
        var response = await _one.Client.PostAsJsonAsync("/match", new PrefixMatchRequest("m", Chain(257), ["a"]), ContractsJsonContext.Default.PrefixMatchRequest);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ProblemReason))!;
        Assert.Contains("at most 256", problem.Reason, StringComparison.Ordinal);
        Assert.Contains("PrefixIndex:MaxHashes", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoutingDecisionEvent_IsRecorded()
    {
        var subscribe = await _one.Client.GetStringAsync("/dapr/subscribe");
        Assert.Contains("\"topic\":\"routing-decisions\"", subscribe, StringComparison.Ordinal);
        Assert.Contains("\"pubsubName\":\"pubsub\"", subscribe, StringComparison.Ordinal);

        var chain = Chain(6);
        var decision = new RoutingDecision("req-1", "pool", "llama", "10.0.0.9:8000", chain, "scheduler-a", Criticality.Standard, 1);
        var data = System.Text.Json.JsonSerializer.Serialize(decision, ContractsJsonContext.Default.RoutingDecision);
        var cloudEvent = $$"""{"id":"ev-1","specversion":"1.0","source":"scheduler","type":"com.dapr.event.sent","datacontenttype":"application/json","topic":"routing-decisions","pubsubname":"pubsub","data":{{data}}}""";
        var delivery = await _one.Client.PostAsync("/events/routing-decisions", new StringContent(cloudEvent, Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.OK, delivery.StatusCode);
        Assert.Contains("SUCCESS", await delivery.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(6, (await Match(_two, "llama", chain, "10.0.0.9:8000")).Matches["10.0.0.9:8000"]);
    }

    [Fact]
    public async Task EndpointMetricsSnapshot_SetsCapacityFromKvBlocks()
    {
        var snapshot = new PoolSnapshot("pool", "collector-1", 1, 1, [
            new EndpointMetrics("10.0.0.7:8000", 0, 0, 0.1, [], [], 0, 16, 1234, 1, EndpointHealth.Healthy)]);
        var data = System.Text.Json.JsonSerializer.Serialize(snapshot, ContractsJsonContext.Default.PoolSnapshot);
        var cloudEvent = $$"""{"id":"ev-2","specversion":"1.0","source":"metrics-collector","type":"com.dapr.event.sent","topic":"endpoint-metrics","pubsubname":"pubsub-fanout","data":{{data}}}""";
        var delivery = await _one.Client.PostAsync("/events/endpoint-metrics", new StringContent(cloudEvent, Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.OK, delivery.StatusCode);

        await Record(_two, "m", "10.0.0.7:8000", Chain(3));
        var stats = (await _two.Client.GetFromJsonAsync("/stats", PrefixIndexJsonContext.Default.PrefixIndexStats))!;
        Assert.Equal(1234, Assert.Single(stats.Endpoints, e => e.Endpoint == "10.0.0.7:8000").Capacity);
    }
}
