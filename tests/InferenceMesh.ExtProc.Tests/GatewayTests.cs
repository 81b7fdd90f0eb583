using System.Net;
using System.Text;
using InferenceMesh.Contracts;
using InferenceMesh.Gateway;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>The development gateway in front of the real picker and a fake model server, all on loopback.</summary>
public sealed class GatewayTests : IAsyncLifetime, IDisposable
{
    private ExtProcTestHost _picker = null!;
    private FakeModelServer _model = null!;
    private GatewayHost _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _model = await FakeModelServer.StartAsync();
        _picker = await ExtProcTestHost.StartChatPickerAsync(_model);
        _gateway = await GatewayHost.StartAsync(new GatewayOptions { Port = 0, ExtProcAddress = _picker.GrpcAddress.ToString() });
        _client = new HttpClient { BaseAddress = _gateway.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public void Dispose() => _client?.Dispose();

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _picker.DisposeAsync();
        await _model.DisposeAsync();
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Post_NonStreaming_IsRoutedRewrittenRestoredAndCompleted()
    {
        using var response = await _client.PostAsync("/v1/completions", Json("""{"model":"chat","prompt":"hello gateway","max_tokens":4}"""));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_model.Address, response.Headers.GetValues(GatewayHeaders.ServedBy).Single());
        Assert.Contains("\"model\":\"chat\"", text, StringComparison.Ordinal);
        Assert.Contains("\"model\":\"served-model\"", FakeModelServer.Text(Assert.Single(_model.Bodies)), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(Assert.Single(_model.RequestIds)));

        await Poll.UntilAsync(() => !_picker.Scheduler.Completions.IsEmpty, "completion");
        var completion = Assert.Single(_picker.Scheduler.Completions);
        Assert.Equal((200, 21, 4), (completion.StatusCode, completion.PromptTokens, completion.CompletionTokens));
        Assert.Equal(Assert.Single(_picker.Scheduler.Requests).RequestId, completion.RequestId);
    }

    [Fact]
    public async Task Post_Streaming_ForwardsSseWithTheClientsModelName()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions") { Content = Json("""{"model":"chat","prompt":"stream please","stream":true}""") };
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(4, text.Split("\"model\":\"chat\"").Length - 1);
        Assert.DoesNotContain("served-model", text, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        await Poll.UntilAsync(() => !_picker.Scheduler.Completions.IsEmpty, "completion");
        Assert.Equal(3, Assert.Single(_picker.Scheduler.Completions).CompletionTokens);
    }

    [Fact]
    public async Task Post_LargePrompt_ArrivesWhole()
    {
        var body = EnvoyMessages.CompletionBody("plain", 220 * 1024);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = await _client.PostAsync("/v1/completions", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, Assert.Single(_model.Bodies));
    }

    [Fact]
    public async Task Get_WithoutBody_IsRouted()
    {
        using var response = await _client.GetAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_model.Address, response.Headers.GetValues(GatewayHeaders.ServedBy).Single());
    }

    [Fact]
    public async Task Post_SchedulerRefuses_ClientGetsTheImmediateResponse()
    {
        _picker.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Refused(ScheduleOutcome.QueueFull, 429, "queue full"));
        using var response = await _client.PostAsync("/v1/completions", Json("""{"model":"chat","prompt":"x"}"""));
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("inference error: ResourceExhausted - queue full", await response.Content.ReadAsStringAsync());
        Assert.Empty(_model.Bodies);
    }

    [Fact]
    public async Task Post_BadJson_Is400AndNeverForwarded()
    {
        using var response = await _client.PostAsync("/v1/completions", Json("""{"prompt":"no model"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(_model.Bodies);
    }

    [Fact]
    public async Task Post_PickerUnreachable_Is500LikeEnvoyWithoutFailureModeAllow()
    {
        await using var gateway = await GatewayHost.StartAsync(new GatewayOptions { Port = 0, ExtProcAddress = "http://127.0.0.1:1" });
        using var client = new HttpClient { BaseAddress = gateway.Address };
        using var response = await client.PostAsync("/v1/completions", Json("""{"model":"chat","prompt":"x"}"""));
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Empty(_model.Bodies);
    }

    [Fact]
    public async Task Post_EndpointDown_Is503()
    {
        _picker.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled("127.0.0.1:1"));
        using var response = await _client.PostAsync("/v1/completions", Json("""{"model":"chat","prompt":"x"}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Post_WithSubsetHintOption_PassesTheHintAsEnvoyLbMetadata()
    {
        await using var gateway = await GatewayHost.StartAsync(new GatewayOptions
        {
            Port = 0,
            ExtProcAddress = _picker.GrpcAddress.ToString(),
            SubsetHint = _model.Address + ", 10.0.0.9:8000",
        });
        using var client = new HttpClient { BaseAddress = gateway.Address };
        using var response = await client.PostAsync("/v1/completions", Json("""{"model":"chat","prompt":"x"}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([_model.Address, "10.0.0.9:8000"], Assert.Single(_picker.Scheduler.Requests).Subset);
    }
}
