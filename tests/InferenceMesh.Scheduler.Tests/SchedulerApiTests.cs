using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Scheduler.Tests;

public sealed class SchedulerApiTests
{
    private static ScheduleRequest Request(string id, Criticality c = Criticality.Standard) =>
        new(id, "pool-a", "m", "m", c, "default-flow", [1, 2, 3], 100, [], 0);

    [Fact]
    public async Task Schedule_AfterSnapshotDelivery_Returns200WithEndpointAndFallbacks()
    {
        await using var host = await SchedulerHost.StartAsync();
        var ack = await host.SnapshotAsync(1, Fleet.Endpoint("10.0.0.1:8000", waiting: 3), Fleet.Endpoint("10.0.0.2:8000"));

        var (status, body) = await host.ScheduleAsync(Request("r1"));

        Assert.Contains("SUCCESS", ack, StringComparison.Ordinal);
        Assert.Equal(200, status);
        Assert.Equal(ScheduleOutcome.Scheduled, body.Outcome);
        Assert.Equal("10.0.0.2:8000", body.Endpoint);
        Assert.Equal(["10.0.0.1:8000"], body.Fallbacks);
        Assert.False(string.IsNullOrEmpty(body.SchedulerReplica));
    }

    [Fact]
    public async Task Schedule_SheddableWhileSaturated_Returns429WithReason()
    {
        await using var host = await SchedulerHost.StartAsync();
        await host.SnapshotAsync(1, Fleet.Endpoint("10.0.0.1:8000", waiting: 50));

        var (status, body) = await host.ScheduleAsync(Request("r1", Criticality.Sheddable));

        Assert.Equal(429, status);
        Assert.Equal(ScheduleOutcome.Shed, body.Outcome);
        Assert.Contains("saturated", body.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schedule_NoEndpoints_Returns503NoCandidates()
    {
        await using var host = await SchedulerHost.StartAsync();

        var (status, body) = await host.ScheduleAsync(Request("r1"));

        Assert.Equal(503, status);
        Assert.Equal(ScheduleOutcome.NoCandidates, body.Outcome);
    }

    [Fact]
    public async Task Schedule_WhileSaturated_LongPollsUntilCapacityFrees()
    {
        await using var host = await SchedulerHost.StartAsync();
        await host.SnapshotAsync(1, Fleet.Endpoint("10.0.0.1:8000", waiting: 50));

        var pending = host.ScheduleAsync(Request("r1", Criticality.Critical));
        await Poll.UntilAsync(async () => (await host.Client.GetFromJsonAsync<JsonElement>("/queue"))
            .GetProperty("pools")[0].GetProperty("bands")[0].GetProperty("requests").GetInt32() == 1, "the request to be queued");
        Assert.False(pending.IsCompleted);
        await host.SnapshotAsync(2, Fleet.Endpoint("10.0.0.1:8000", waiting: 0));

        var (status, body) = await pending.Within();
        Assert.Equal(200, status);
        Assert.Equal("10.0.0.1:8000", body.Endpoint);
        Assert.True(body.QueuedMs > 0);
    }

    [Fact]
    public async Task Complete_OwnDispatch_FreesInFlight()
    {
        await using var host = await SchedulerHost.StartAsync();
        await host.SnapshotAsync(1, Fleet.Endpoint("10.0.0.1:8000"));
        var (_, body) = await host.ScheduleAsync(Request("r1"));

        using var response = await host.Client.PostAsJsonAsync("/complete",
            new RequestCompletion("r1", body.SchedulerReplica, body.Endpoint!, 200, 10, 5, 0), ContractsJsonContext.Default.RequestCompletion);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        var queue = await host.Client.GetFromJsonAsync<JsonElement>("/queue");

        Assert.True(result.GetProperty("freed").GetBoolean());
        Assert.Equal(0, queue.GetProperty("inFlight").GetInt32());
    }

    [Fact]
    public async Task Complete_StreamedCompletions_MeasureTheEndpointsDecodeSpeedShownInPool()
    {
        await using var host = await SchedulerHost.StartAsync();
        await host.SnapshotAsync(1, Fleet.Endpoint("10.0.0.1:8000"));
        var before = await host.Client.GetFromJsonAsync<JsonElement>("/pool");
        for (var i = 0; i < EndpointState.MinDecodeSamples; i++)
        {
            var (_, body) = await host.ScheduleAsync(Request($"r{i}"));
            // 101 output tokens, 2,000 ms from the first to the last: 20 ms per token after the first.
            using var response = await host.Client.PostAsJsonAsync("/complete",
                new RequestCompletion($"r{i}", body.SchedulerReplica, body.Endpoint!, 200, 10, 101, 1_700_000_003_000) { FirstTokenAtUnixMs = 1_700_000_001_000 },
                ContractsJsonContext.Default.RequestCompletion);
            response.EnsureSuccessStatusCode();
        }

        var after = await host.Client.GetFromJsonAsync<JsonElement>("/pool");

        // Not measured yet: left out (null values are not written).
        Assert.False(before[0].GetProperty("endpoints")[0].TryGetProperty("decodeMsPerToken", out var unmeasured) && unmeasured.ValueKind != JsonValueKind.Null);
        Assert.Equal(20, after[0].GetProperty("endpoints")[0].GetProperty("decodeMsPerToken").GetDouble(), 6);
    }

    [Fact]
    public async Task CompletionEvent_OfOtherReplica_IsAcknowledgedAndIgnored()
    {
        await using var host = await SchedulerHost.StartAsync();
        await host.SnapshotAsync(1, Fleet.Endpoint("10.0.0.1:8000"));
        var (_, body) = await host.ScheduleAsync(Request("r1"));

        var foreign = await host.DeliverAsync("/events/request-completions", DaprNames.CompletionsTopic,
            new RequestCompletion("r1", "someone-else", body.Endpoint!, 200, 1, 1, 0), ContractsJsonContext.Default.RequestCompletion);
        var inFlightAfterForeign = (await host.Client.GetFromJsonAsync<JsonElement>("/queue")).GetProperty("inFlight").GetInt32();
        await host.DeliverAsync("/events/request-completions", DaprNames.CompletionsTopic,
            new RequestCompletion("r1", body.SchedulerReplica, body.Endpoint!, 200, 1, 1, 0), ContractsJsonContext.Default.RequestCompletion);
        var inFlightAfterOwn = (await host.Client.GetFromJsonAsync<JsonElement>("/queue")).GetProperty("inFlight").GetInt32();

        Assert.Contains("SUCCESS", foreign, StringComparison.Ordinal);
        Assert.Equal(1, inFlightAfterForeign);
        Assert.Equal(0, inFlightAfterOwn);
    }

    [Fact]
    public async Task SnapshotDelivery_Replayed_AcknowledgedButNotApplied()
    {
        await using var host = await SchedulerHost.StartAsync();
        await host.SnapshotAsync(5, Fleet.Endpoint("10.0.0.1:8000", waiting: 1));

        var ack = await host.SnapshotAsync(5, Fleet.Endpoint("10.0.0.1:8000", waiting: 9));
        var pool = await host.Client.GetFromJsonAsync<JsonElement>("/pool");

        Assert.Contains("SUCCESS", ack, StringComparison.Ordinal);
        Assert.Equal(1, pool[0].GetProperty("endpoints")[0].GetProperty("waiting").GetInt32());
        Assert.Equal(5, pool[0].GetProperty("sequence").GetInt64());
    }

    [Fact]
    public async Task DaprSubscribe_ListsFanOutSubscriptions()
    {
        await using var host = await SchedulerHost.StartAsync();

        var subs = await host.Client.GetFromJsonAsync<JsonElement>("/dapr/subscribe");

        // Dapr.AspNetCore's answer: pubsubName in camelCase, routes without the leading slash.
        var topics = subs.EnumerateArray().Select(s => (s.GetProperty("pubsubName").GetString(), s.GetProperty("topic").GetString(), s.GetProperty("route").GetString())).ToList();
        Assert.Contains((DaprNames.FanOutPubSub, DaprNames.EndpointMetricsTopic, "events/endpoint-metrics"), topics);
        Assert.Contains((DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, "events/request-completions"), topics);
    }

    [Fact]
    public async Task Schedule_MalformedBody_Returns400Problem()
    {
        await using var host = await SchedulerHost.StartAsync();

        using var content = new StringContent("{not json", Encoding.UTF8, "application/json");
        using var response = await host.Client.PostAsync("/schedule", content);
        var problem = await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ProblemReason);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(400, problem!.Status);
    }

    [Fact]
    public async Task Start_QueueThresholdZero_FailsNamingTheKey()
    {
        await using var app = SchedulerHost.Build(new Dictionary<string, string?> { ["Scheduler:QueueThreshold"] = "0" });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("Scheduler:QueueThreshold", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnknownDefaultProfile_FailsNamingTheKey()
    {
        await using var app = SchedulerHost.Build(new Dictionary<string, string?> { ["Scheduler:DefaultProfile"] = "NOPE" });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("Scheduler:DefaultProfile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_PoolsAndSloFromConfiguration_AreBound()
    {
        await using var host = await SchedulerHost.StartAsync(new Dictionary<string, string?>
        {
            ["Scheduler:Pools:pool-a:UseQueueing"] = "false",
            ["Scheduler:Slo:TtftMsByModel:chat"] = "800",
        });

        var options = host.Services.GetRequiredService<IOptions<SchedulerOptions>>().Value;

        Assert.False(options.Pools["pool-a"].UseQueueing);
        Assert.Equal(800, options.Slo.ObjectiveFor("chat", 0));
        Assert.Equal(300, options.Slo.ObjectiveFor("chat", 300));
    }
}
