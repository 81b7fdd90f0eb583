using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Foundation.Tests.Support;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace InferenceMesh.Foundation.Tests.Dapr;

public sealed class AppSideTests
{
    private static async Task<(TestHost Host, List<TopicEvent<RequestCompletion>> Seen)> StartAppAsync(Func<RequestCompletion, TopicResult> decide, string? appToken = null)
    {
        var settings = new Dictionary<string, string?> { ["Dapr:SidecarWaitSeconds"] = "0" };
        if (appToken is not null)
            settings["Dapr:AppApiToken"] = appToken;
        var builder = TestHost.CreateBuilder(settings);
        builder.AddServiceDefaults(AppIds.Scheduler);
        builder.AddDaprClient();
        var app = builder.Build();
        var seen = new List<TopicEvent<RequestCompletion>>();
        app.MapDaprSubscribe();
        app.MapSubscription(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, "/events/completions", ContractsJsonContext.Default.RequestCompletion,
            (e, _) =>
            {
                if (e.Data.RequestId == "throw")
                    throw new InvalidOperationException("handler failure");
                lock (seen)
                    seen.Add(e);
                return ValueTask.FromResult(decide(e.Data));
            },
            new SubscriptionOptions(new Dictionary<string, string> { ["rawPayload"] = "false" }, DeadLetterTopic: "completions-dead"));
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
        Assert.Equal("pubsub-fanout", s.GetProperty("pubsubname").GetString());
        Assert.Equal("request-completions", s.GetProperty("topic").GetString());
        Assert.Equal("/events/completions", s.GetProperty("route").GetString());
        Assert.Equal("false", s.GetProperty("metadata").GetProperty("rawPayload").GetString());
        Assert.Equal("completions-dead", s.GetProperty("deadLetterTopic").GetString());
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
        var garbage = await host.Client.PostAsync(route, new StringContent("{not json", Encoding.UTF8, "application/cloudevents+json"));

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("SUCCESS", await StatusOf(ok));
        Assert.Equal("RETRY", await StatusOf(retry));
        Assert.Equal("DROP", await StatusOf(drop));
        Assert.Equal("RETRY", await StatusOf(failed));
        Assert.Equal("DROP", await StatusOf(garbage));
        var first = seen[0];
        Assert.Equal("ok", first.Data.RequestId);
        Assert.Equal("ev-ok", first.Id);
        Assert.Equal("ext-proc", first.Source);
        Assert.Equal(DaprNames.FanOutPubSub, first.PubSubName);
    }

    [Fact]
    public async Task AppToken_WhenConfigured_IsRequiredOnDaprRoutesAndMarkedEndpoints_ButNotOnHealth()
    {
        var (host, seen) = await StartAppAsync(_ => TopicResult.Success, appToken: "s3cret");
        await using var _1 = host;

        var noToken = await host.Client.PostAsync(new Uri("/events/completions", UriKind.Relative), CloudEvent("x"));
        var subscribeNoToken = await host.Client.GetAsync(new Uri("/dapr/subscribe", UriKind.Relative));
        var invokeNoToken = await host.Client.PostAsync(new Uri("/invoke-me", UriKind.Relative), null);
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
        Assert.Equal("SUCCESS", await StatusOf(accepted));
        Assert.Equal(HttpStatusCode.OK, invoked.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(["y"], seen.Select(e => e.Data.RequestId));
    }

    [Fact]
    public async Task Readiness_IsDown_WithoutASidecar()
    {
        var (host, _) = await StartAppAsync(_ => TopicResult.Success);
        await using var _1 = host;

        var ready = await host.Client.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
        var body = await ready.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Unhealthy", body);
    }
}
