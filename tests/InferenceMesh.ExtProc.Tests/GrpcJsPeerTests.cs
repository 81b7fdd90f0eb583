using System.Text.Json;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>Our server driven by an independent gRPC implementation (@grpc/grpc-js) with Envoy's message sequences.</summary>
public sealed class GrpcJsPeerTests : IAsyncLifetime
{
    private ExtProcTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ExtProcTestHost.StartAsync();
        _host.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled("10.20.30.40:8000"));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<JsonElement> RunAsync(string scenario) => NodePeer.RunAsync(_host.Listeners.GrpcPort, scenario);

    [Fact]
    public async Task FullDuplexStreamed_220KbPrompt_RoutesAndRestreamsBothDirections()
    {
        var r = await RunAsync("full-duplex");
        Assert.Equal("10.20.30.40:8000", r.GetProperty("destination").GetString());
        Assert.Equal("10.20.30.40:8000", r.GetProperty("lb").GetString());
        Assert.True(r.GetProperty("clearRouteCache").GetBoolean());
        Assert.True(r.GetProperty("bodyEqual").GetBoolean());
        Assert.True(r.GetProperty("largestChunk").GetInt32() <= 62_000);
        Assert.True(r.GetProperty("bodyChunks").GetInt32() >= 4);
        Assert.Equal("response_headers", r.GetProperty("responseHeadersAnswer").GetString());
        Assert.True(r.GetProperty("responseEqual").GetBoolean());
        await Poll.UntilAsync(() => !_host.Scheduler.Completions.IsEmpty, "completion");
        var completion = Assert.Single(_host.Scheduler.Completions);
        Assert.Equal((11, 2), (completion.PromptTokens, completion.CompletionTokens));
    }

    [Fact]
    public async Task FullDuplexStreamed_100ConcurrentStreams_AllSucceed()
    {
        var r = await RunAsync("concurrent");
        Assert.True(r.GetProperty("allOk").GetBoolean());
        Assert.Equal(100, _host.Scheduler.Requests.Count);
    }

    [Fact]
    public async Task Buffered_OneAnswerPerMessageWithRoutingInTheBodyAnswer()
    {
        var r = await RunAsync("buffered");
        Assert.Equal(["request_headers", "request_body", "response_headers", "response_body"],
            r.GetProperty("answers").EnumerateArray().Select(e => e.GetString() ?? "").ToArray());
        Assert.Equal("10.20.30.40:8000", r.GetProperty("destination").GetString());
        Assert.Equal("10.20.30.40:8000", r.GetProperty("lb").GetString());
    }

    [Fact]
    public async Task Streamed_EveryChunkAnsweredInOrder()
    {
        var r = await RunAsync("streamed");
        var answers = r.GetProperty("answers").EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
        Assert.Equal(r.GetProperty("chunks").GetInt32() + 1, answers.Length);
        Assert.Equal("request_headers", answers[0]);
        Assert.All(answers[1..], a => Assert.Equal("request_body", a));
        Assert.Equal("10.20.30.40:8000", r.GetProperty("destination").GetString());
        Assert.True(r.GetProperty("bodyEqual").GetBoolean());
    }

    [Fact]
    public async Task NoBody_GetsEndpointAtOnce()
    {
        var r = await RunAsync("no-body");
        Assert.Equal("request_headers", r.GetProperty("answer").GetString());
        Assert.Equal("10.20.30.40:8000", r.GetProperty("destination").GetString());
    }

    [Fact]
    public async Task MissingModel_ImmediateResponse400()
    {
        var r = await RunAsync("missing-model");
        Assert.Equal("immediate_response", r.GetProperty("answer").GetString());
        Assert.Equal("BadRequest", r.GetProperty("status").GetString());
        Assert.Equal("inference error: BadRequest - model not found in request body", r.GetProperty("body").GetString());
    }

    [Fact]
    public async Task Cancel_WhileQueued_FreesTheSchedulerCall()
    {
        _host.Scheduler.BlockUntilCancelled();
        await using var peer = NodePeer.Start(_host.Listeners.GrpcPort, "cancel");
        await _host.Scheduler.ScheduleEntered.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await peer.SignalAsync();
        var r = await peer.ResultAsync();
        Assert.Equal(1, r.GetProperty("cancelledCode").GetInt32());
        await _host.Scheduler.ScheduleCancelled.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Poll.UntilAsync(() => !_host.Scheduler.Completions.IsEmpty, "completion after cancel");
        Assert.Equal(499, Assert.Single(_host.Scheduler.Completions).StatusCode);
    }

    [Fact]
    public async Task Deadline_ExpiresWhileQueued_DeadlineExceeded()
    {
        _host.Scheduler.BlockUntilCancelled();
        var r = await RunAsync("deadline");
        Assert.Equal(4, r.GetProperty("code").GetInt32());
        // On a loaded machine the deadline can pass before the request reaches the scheduler; when it did, it was cancelled.
        if (_host.Scheduler.ScheduleEntered.Task.IsCompleted)
            await _host.Scheduler.ScheduleCancelled.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Health_KnownServicesServing_UnknownNotFound()
    {
        var r = await RunAsync("health");
        foreach (var s in new[] { "(empty)", "liveness", "readiness", "envoy.service.ext_proc.v3.ExternalProcessor" })
            Assert.Equal("SERVING", r.GetProperty(s).GetProperty("status").GetString());
        Assert.Equal(5, r.GetProperty("no-such-service").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task UnknownMethod_Unimplemented()
    {
        var r = await RunAsync("unimplemented");
        Assert.Equal(12, r.GetProperty("code").GetInt32());
    }
}
