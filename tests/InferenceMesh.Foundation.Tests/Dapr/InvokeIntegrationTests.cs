using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Foundation.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace InferenceMesh.Foundation.Tests.Dapr;

/// <summary>Contract tests: service invocation through Dapr.Client's invocation <see cref="HttpClient"/> and the stand-in:
/// the callee's status codes, bodies, query and trace headers pass through.</summary>
public sealed class InvokeIntegrationTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private static async Task<TestHost> StartCalleeAsync(string? appToken)
    {
        var builder = TestHost.CreateBuilder(new Dictionary<string, string?> { ["APP_API_TOKEN"] = appToken });
        builder.Services.AddDaprSidecar();
        var app = builder.Build();
        app.MapPost("/schedule", (ScheduleRequestEcho body) => Results.Ok(new ProblemReason(200, body.Text + "!")))
            .RequireDaprAppToken(app.Services);
        app.MapGet("/status/{code:int}", (int code) => Results.Json(new ProblemReason(code, $"status {code}"), statusCode: code))
            .RequireDaprAppToken(app.Services);
        app.MapGet("/query", (HttpContext c) => Results.Ok(new ProblemReason(200, c.Request.QueryString.Value ?? "")));
        app.MapGet("/trace", (HttpContext c) => Results.Ok(new ProblemReason(200, c.Request.Headers["traceparent"].ToString() + "|" + c.Request.Headers["tracestate"])));
        return await TestHost.StartAsync(app);
    }

    private static HttpClient Invoker(Sidecar caller, string appId) =>
        DaprHostingExtensions.CreateInvocationClient(new ConfigurationBuilder().AddInMemoryCollection(caller.Settings()).Build(), appId);

    public sealed record ScheduleRequestEcho(string Text);

    [Fact]
    public async Task Post_CarriesTheJsonBody_AndTheQuery_ThroughTheSidecar()
    {
        await using var callee = await StartCalleeAsync(appToken: "app-tok");
        await using var caller = await Sidecar.StartAsync(redis.Server.Configuration, configure: o => o with
        {
            AppAddresses = new Dictionary<string, Uri> { [AppIds.Scheduler] = callee.Address },
            AppApiToken = "app-tok",
        });
        using var scheduler = Invoker(caller, AppIds.Scheduler);

        using var response = await scheduler.PostAsJsonAsync(new Uri("schedule", UriKind.Relative), new ScheduleRequestEcho("hi"));
        var answer = await response.Content.ReadFromJsonAsync<ProblemReason>();
        var query = await scheduler.GetFromJsonAsync<ProblemReason>(new Uri("query?a=1&b=x%20y", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hi!", answer!.Reason);
        Assert.Equal("?a=1&b=x%20y", query!.Reason);
    }

    [Fact]
    public async Task TraceHeaders_AreForwardedToTheCallee()
    {
        await using var callee = await StartCalleeAsync(appToken: null);
        await using var caller = await Sidecar.StartAsync(redis.Server.Configuration, configure: o => o with
        {
            AppAddresses = new Dictionary<string, Uri> { [AppIds.Scheduler] = callee.Address },
        });
        using var scheduler = Invoker(caller, AppIds.Scheduler);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("trace", UriKind.Relative));
        // The caller's context as an ambient activity, not raw headers: HttpClient replaces a traceparent header with its
        // own request activity's whenever any listener in the process (another test's tracing) samples System.Net.Http.
        using var context = new Activity("trace-forwarding-test").SetParentId("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        context.TraceStateString = "im=1";
        context.Start();

        using var response = await scheduler.SendAsync(request);
        var answer = await response.Content.ReadFromJsonAsync<ProblemReason>();

        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", answer!.Reason, StringComparison.Ordinal);
        Assert.EndsWith("|im=1", answer.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    [InlineData(404)]
    [InlineData(400)]
    public async Task Invoke_PassesTheCalleeStatusAndBodyThrough(int code)
    {
        await using var callee = await StartCalleeAsync(appToken: null);
        await using var caller = await Sidecar.StartAsync(redis.Server.Configuration, configure: o => o with
        {
            AppAddresses = new Dictionary<string, Uri> { [AppIds.PrefixIndex] = callee.Address },
        });
        using var prefix = Invoker(caller, AppIds.PrefixIndex);

        using var response = await prefix.GetAsync(new Uri($"status/{code}", UriKind.Relative));

        Assert.Equal(code, (int)response.StatusCode);
        Assert.Equal($"status {code}", (await response.Content.ReadFromJsonAsync<ProblemReason>())!.Reason);
    }

    [Fact]
    public async Task Invoke_WithoutTheAppToken_GetsTheCallee401()
    {
        await using var callee = await StartCalleeAsync(appToken: "app-tok");
        await using var caller = await Sidecar.StartAsync(redis.Server.Configuration, configure: o => o with
        {
            AppAddresses = new Dictionary<string, Uri> { [AppIds.Scheduler] = callee.Address },
        });
        using var scheduler = Invoker(caller, AppIds.Scheduler);

        using var response = await scheduler.GetAsync(new Uri("status/200", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Invoke_OfAMissingApp_IsERR_DIRECT_INVOKE()
    {
        await using var caller = await Sidecar.StartAsync(redis.Server.Configuration);
        using var scheduler = Invoker(caller, AppIds.Scheduler);

        using var response = await scheduler.PostAsJsonAsync(new Uri("schedule", UriKind.Relative), new ScheduleRequestEcho("x"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("ERR_DIRECT_INVOKE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_WithTheDaprAppIdHeader_ReachesTheApp_AndTheApiTokenIsRequired()
    {
        await using var callee = await StartCalleeAsync(appToken: null);
        await using var caller = await Sidecar.StartAsync(redis.Server.Configuration, configure: o => o with
        {
            AppAddresses = new Dictionary<string, Uri> { [AppIds.Scheduler] = callee.Address },
            ApiToken = "to-sidecar",
        });
        using var http = new HttpClient { BaseAddress = caller.StandIn.HttpEndpoint };
        using var withToken = new HttpRequestMessage(HttpMethod.Get, new Uri("status/202", UriKind.Relative));
        withToken.Headers.Add("dapr-app-id", AppIds.Scheduler);
        withToken.Headers.Add("dapr-api-token", "to-sidecar");
        using var withoutToken = new HttpRequestMessage(HttpMethod.Get, new Uri("status/202", UriKind.Relative));
        withoutToken.Headers.Add("dapr-app-id", AppIds.Scheduler);

        using var accepted = await http.SendAsync(withToken);
        using var refused = await http.SendAsync(withoutToken);

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
