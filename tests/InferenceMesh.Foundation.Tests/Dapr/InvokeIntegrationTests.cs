using System.Net;
using System.Net.Http.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Foundation.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace InferenceMesh.Foundation.Tests.Dapr;

/// <summary>Service invocation through the stand-in: the callee's status codes and bodies pass through.</summary>
public sealed class InvokeIntegrationTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static async Task<TestHost> StartCalleeAsync(string? appToken)
    {
        var builder = TestHost.CreateBuilder(new Dictionary<string, string?> { ["Dapr:AppApiToken"] = appToken, ["Dapr:SidecarWaitSeconds"] = "0" });
        builder.AddDaprClient();
        var app = builder.Build();
        app.MapPost("/schedule", (ScheduleRequestEcho body) => Results.Ok(new ProblemReason(200, body.Text + "!")))
            .RequireDaprAppToken(app.Services);
        app.MapGet("/status/{code:int}", (int code) => Results.Json(new ProblemReason(code, $"status {code}"), statusCode: code))
            .RequireDaprAppToken(app.Services);
        app.MapGet("/query", (HttpContext c) => Results.Ok(new ProblemReason(200, c.Request.QueryString.Value ?? "")));
        return await TestHost.StartAsync(app);
    }

    public sealed record ScheduleRequestEcho(string Text);

    [Fact]
    public async Task TypedInvoke_PostsJson_AndReadsTheAnswer()
    {
        await using var callee = await StartCalleeAsync(appToken: "app-tok");
        await using var caller = await Sidecar.StartAsync(redis.Server.Options, configure: o => o with
        {
            AppAddresses = new Dictionary<string, Uri> { [AppIds.Scheduler] = callee.Address },
            AppApiToken = "app-tok",
        });

        using var response = await caller.Client.InvokeMethodRawAsync(HttpMethod.Post, AppIds.Scheduler, "/schedule", JsonContent.Create(new ScheduleRequestEcho("hi")));
        var answer = await response.Content.ReadFromJsonAsync<ProblemReason>();
        var typed = await caller.Client.InvokeMethodGetAsync(AppIds.Scheduler, "query?a=1&b=x%20y", ContractsJsonContext.Default.ProblemReason);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hi!", answer!.Reason);
        Assert.Equal("?a=1&b=x%20y", typed.Reason);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    [InlineData(404)]
    [InlineData(400)]
    public async Task Invoke_PassesTheCalleeStatusThrough(int code)
    {
        await using var callee = await StartCalleeAsync(appToken: null);
        await using var caller = await Sidecar.StartAsync(redis.Server.Options, configure: o => o with
        {
            AppAddresses = new Dictionary<string, Uri> { [AppIds.PrefixIndex] = callee.Address },
        });

        using var raw = await caller.Client.InvokeMethodRawAsync(HttpMethod.Get, AppIds.PrefixIndex, $"status/{code}");
        var typed = await Assert.ThrowsAsync<DaprInvocationException>(() =>
            caller.Client.InvokeMethodGetAsync(AppIds.PrefixIndex, $"status/{code}", ContractsJsonContext.Default.ProblemReason));

        Assert.Equal(code, (int)raw.StatusCode);
        Assert.Equal(code, (int)typed.StatusCode);
        Assert.Equal($"status {code}", typed.Problem?.Reason);
        Assert.Equal(AppIds.PrefixIndex, typed.AppId);
    }

    [Fact]
    public async Task Invoke_WithoutTheAppToken_GetsTheCallee401()
    {
        await using var callee = await StartCalleeAsync(appToken: "app-tok");
        await using var caller = await Sidecar.StartAsync(redis.Server.Options, configure: o => o with
        {
            AppAddresses = new Dictionary<string, Uri> { [AppIds.Scheduler] = callee.Address },
        });

        using var raw = await caller.Client.InvokeMethodRawAsync(HttpMethod.Get, AppIds.Scheduler, "status/200");

        Assert.Equal(HttpStatusCode.Unauthorized, raw.StatusCode);
    }

    [Fact]
    public async Task Invoke_OfAnUnknownApp_IsERR_DIRECT_INVOKE()
    {
        await using var caller = await Sidecar.StartAsync(redis.Server.Options);

        var error = await Assert.ThrowsAsync<DaprInvocationException>(() =>
            caller.Client.InvokeMethodAsync(AppIds.Scheduler, "schedule", new ProblemReason(1, "x"), ContractsJsonContext.Default.ProblemReason));

        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Equal("ERR_DIRECT_INVOKE", error.ErrorCode);
    }
}
