using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using InferenceMesh.Contracts;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>The real scheduler service on Kestrel, loopback port 0, wired exactly as Program.cs; the Dapr sidecar address
/// points at a closed port so prefix matches and publishes fail fast (the service must cope).</summary>
internal sealed class SchedulerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SchedulerHost(WebApplication app, Uri address)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }
    public IServiceProvider Services => _app.Services;

    public static WebApplication Build(IDictionary<string, string?>? config = null, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder();
        var settings = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["DAPR_HTTP_ENDPOINT"] = "http://127.0.0.1:9",
            ["DAPR_GRPC_ENDPOINT"] = "http://127.0.0.1:9",
            // Real time here: keep snapshots fresh however slow the machine is.
            ["Scheduler:StalenessMs"] = "600000",
        };
        foreach (var (k, v) in config ?? new Dictionary<string, string?>())
            settings[k] = v;
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults(AppIds.Scheduler);
        services?.Invoke(builder.Services);
        builder.AddScheduler();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapSchedulerApi();
        return app;
    }

    public static async Task<SchedulerHost> StartAsync(IDictionary<string, string?>? config = null, Action<IServiceCollection>? services = null)
    {
        var app = Build(config, services);
        await app.StartAsync();
        return new SchedulerHost(app, TestServers.AddressOf(app));
    }

    /// <summary>Delivers a message as the Dapr sidecar does: a CloudEvent POSTed to the subscription route.</summary>
    public async Task<string> DeliverAsync<T>(string route, string topic, T data, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        var envelope = $$"""
            {"id":"{{Guid.NewGuid()}}","specversion":"1.0","source":"test","type":"com.dapr.event.sent","datacontenttype":"application/json",
             "topic":"{{topic}}","pubsubname":"{{DaprNames.FanOutPubSub}}","data":{{JsonSerializer.Serialize(data, typeInfo)}}}
            """;
        using var content = new StringContent(envelope, Encoding.UTF8, "application/cloudevents+json");
        using var response = await Client.PostAsync(route, content);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    public Task<string> SnapshotAsync(long sequence, params EndpointMetrics[] endpoints)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var fresh = endpoints.Select(e => e with { ScrapedAtUnixMs = now }).ToArray();
        return DeliverAsync("/events/endpoint-metrics", DaprNames.EndpointMetricsTopic, new PoolSnapshot("pool-a", "c1", sequence, now, fresh),
            ContractsJsonContext.Default.PoolSnapshot);
    }

    public async Task<(int Status, ScheduleResponse Body)> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken = default)
    {
        using var response = await Client.PostAsJsonAsync("/schedule", request, ContractsJsonContext.Default.ScheduleRequest, cancellationToken);
        var body = await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ScheduleResponse, cancellationToken);
        return ((int)response.StatusCode, body!);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
