using System.Net;
using System.Text;
using System.Text.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Foundation.Tests.Support;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace InferenceMesh.Foundation.Tests.Dapr;

/// <summary>The app side through Dapr.AspNetCore (UseCloudEvents, MapSubscribeHandler, WithTopic, AddDapr authentication),
/// called the way daprd calls an app.</summary>
public sealed class AppSideTests
{
    private static async Task<(TestHost Host, List<RequestCompletion> Seen)> StartAppAsync(Func<RequestCompletion, TopicResult> decide, string? appToken = null)
    {
        var settings = new Dictionary<string, string?>();
        if (appToken is not null)
            settings["APP_API_TOKEN"] = appToken;
        // Nothing listens here: the sidecar is absent.
        settings["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{DaprStandIn.RedisServerProcess.FreePort()}";
        settings["DAPR_GRPC_ENDPOINT"] = settings["DAPR_HTTP_ENDPOINT"];
        var builder = TestHost.CreateBuilder(settings);
        builder.AddServiceDefaults(AppIds.Scheduler);
        builder.Services.AddDaprSidecar();
        var app = builder.Build();
        var seen = new List<RequestCompletion>();
        app.MapSubscription(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, "/events/completions", ContractsJsonContext.Default.RequestCompletion,
            (c, _) =>
            {
                if (c.RequestId == "throw")
                    throw new InvalidOperationException("handler failure");
                lock (seen)
                    seen.Add(c);
                return ValueTask.FromResult(decide(c));
            });
        app.MapDaprSubscribeHandler();
        app.MapPost("/invoke-me", () => Results.Ok()).RequireDaprAppToken(app.Services);
        app.MapDefaultEndpoints();
        return (await TestHost.StartAsync(app), seen);
    }

    private static StringContent CloudEvent(string requestId) => new(
        $$$"""{"specversion":"1.0","id":"ev-{{{requestId}}}","source":"ext-proc","type":"com.dapr.event.sent","topic":"request-completions","pubsubname":"pubsub-fanout","datacontenttype":"application/json","data":{"requestId":"{{{requestId}}}","schedulerReplica":"s","endpoint":"e","statusCode":200,"promptTokens":1,"completionTokens":2,"completedAtUnixMs":3}}""",
        Encoding.UTF8, "application/cloudevents+json");

    private static async Task<string> StatusOf(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("status").GetString()!;
    }

    [Fact]
    public async Task DaprSubscribe_ListsDeclaredSubscriptions()
    {
        var (host, _) = await StartAppAsync(_ => TopicResult.Success);
        await using var _1 = host;

        var json = await host.Client.GetStringAsync(new Uri("/dapr/subscribe", UriKind.Relative));

        using var doc = JsonDocument.Parse(json);
        var s = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("pubsub-fanout", s.GetProperty("pubsubName").GetString());
        Assert.Equal("request-completions", s.GetProperty("topic").GetString());
        // Dapr.AspNetCore writes the route without its leading slash; daprd resolves it against the app address.
        Assert.Equal("events/completions", s.GetProperty("route").GetString());
    }

    [Fact]
    public async Task Delivery_UnwrapsTheCloudEvent_AndMapsHandlerResults()
    {
        var (host, seen) = await StartAppAsync(c => c.RequestId switch { "r" => TopicResult.Retry, "d" => TopicResult.Drop, _ => TopicResult.Success });
        await using var _1 = host;
        var route = new Uri("/events/completions", UriKind.Relative);

        var ok = await host.Client.PostAsync(route, CloudEvent("ok"));
        var retry = await host.Client.PostAsync(route, CloudEvent("r"));
        var drop = await host.Client.PostAsync(route, CloudEvent("d"));
        var failed = await host.Client.PostAsync(route, CloudEvent("throw"));
        var garbage = await host.Client.PostAsync(route, new StringContent("""{"specversion":"1.0","id":"x","datacontenttype":"application/json","data":[1,2]}""", Encoding.UTF8, "application/cloudevents+json"));

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("SUCCESS", await StatusOf(ok));
        Assert.Equal("RETRY", await StatusOf(retry));
        Assert.Equal("DROP", await StatusOf(drop));
        Assert.Equal("RETRY", await StatusOf(failed));
        Assert.Equal("DROP", await StatusOf(garbage));
        Assert.Equal("ok", seen[0].RequestId);
        Assert.Equal(200, seen[0].StatusCode);
    }

    [Fact]
    public async Task AppToken_WhenConfigured_IsRequiredOnDaprRoutesAndMarkedEndpoints_ButNotOnHealth()
    {
        var (host, seen) = await StartAppAsync(_ => TopicResult.Success, appToken: "s3cret");
        await using var _1 = host;

        var noToken = await host.Client.PostAsync(new Uri("/events/completions", UriKind.Relative), CloudEvent("x"));
        var subscribeNoToken = await host.Client.GetAsync(new Uri("/dapr/subscribe", UriKind.Relative));
        var invokeNoToken = await host.Client.PostAsync(new Uri("/invoke-me", UriKind.Relative), null);
        using var wrongToken = new HttpRequestMessage(HttpMethod.Post, new Uri("/invoke-me", UriKind.Relative));
        wrongToken.Headers.Add("dapr-api-token", "guess");
        var invokeWrongToken = await host.Client.SendAsync(wrongToken);
        using var withToken = new HttpRequestMessage(HttpMethod.Post, new Uri("/events/completions", UriKind.Relative)) { Content = CloudEvent("y") };
        withToken.Headers.Add("dapr-api-token", "s3cret");
        var accepted = await host.Client.SendAsync(withToken);
        using var invokeWithToken = new HttpRequestMessage(HttpMethod.Post, new Uri("/invoke-me", UriKind.Relative));
        invokeWithToken.Headers.Add("dapr-api-token", "s3cret");
        var invoked = await host.Client.SendAsync(invokeWithToken);
        var live = await host.Client.GetAsync(new Uri("/healthz/live", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, subscribeNoToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, invokeNoToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, invokeWrongToken.StatusCode);
        Assert.Equal("SUCCESS", await StatusOf(accepted));
        Assert.Equal(HttpStatusCode.OK, invoked.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(["y"], seen.Select(c => c.RequestId));
    }

    [Fact]
    public async Task Readiness_IsDown_WhileTheSidecarIsDown()
    {
        var (host, _) = await StartAppAsync(_ => TopicResult.Success);
        await using var _1 = host;

        var ready = await host.Client.GetAsync(new Uri("/healthz/ready", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    [Fact]
    public async Task SidecarDownAtStart_ReadinessComesUpOnceItListens()
    {
        var port = DaprStandIn.RedisServerProcess.FreePort();
        using var redis = DaprStandIn.RedisServerProcess.Start();
        var builder = TestHost.CreateBuilder(new Dictionary<string, string?>
        {
            ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{port}",
        });
        builder.AddServiceDefaults(AppIds.Scheduler);
        builder.Services.AddDaprSidecar();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await using var host = await TestHost.StartAsync(app);
        var before = await host.Client.GetAsync(new Uri("/healthz/ready", UriKind.Relative));

        // The sidecar comes up late, where the app was told it is.
        await using (await DaprStandIn.DaprStandIn.StartAsync(new DaprStandIn.DaprStandInOptions { AppId = AppIds.Scheduler, Redis = redis.Configuration, HttpPort = port }))
            await Poll.UntilAsync(async () => (await host.Client.GetAsync(new Uri("/healthz/ready", UriKind.Relative))).StatusCode == HttpStatusCode.OK, "readiness after the sidecar came up");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
    }
}
