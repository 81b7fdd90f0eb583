using System.Collections.Concurrent;
using System.Net.Http.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>The real metrics-collector app (its own registration and API) on loopback port 0, reading a pool file from a temp
/// directory and publishing onto an in-memory bus that tests subscribe to.</summary>
internal sealed class CollectorHost : IAsyncDisposable
{
    private readonly string _dir;

    private readonly bool _ownsBus;

    private CollectorHost(WebApplication app, HttpClient http, string dir, InMemoryEventBus bus, RecordingStore store, bool ownsBus)
    {
        _ownsBus = ownsBus;
        App = app;
        Http = http;
        _dir = dir;
        Bus = bus;
        Store = store;
    }

    public WebApplication App { get; }

    public HttpClient Http { get; }

    public InMemoryEventBus Bus { get; }

    public RecordingStore Store { get; }

    public string PoolFilePath => Path.Combine(_dir, "pool.yaml");

    public static string PoolYaml(string pool, params string[] addresses)
    {
        var lines = string.Join("\n", addresses.Select(a => $"      - address: \"{a}\""));
        return $"""
            kind: InferencePool
            metadata: {"{"}name: {pool}{"}"}
            spec: {"{"}selector: {"{"}app: {pool}{"}"}, targetPortNumber: 8000{"}"}
            ---
            kind: LocalEndpoints
            metadata: {"{"}name: {pool}-local{"}"}
            spec:
              poolRef: {"{"}name: {pool}{"}"}
              endpoints:
            {lines}

            """;
    }

    public static Dictionary<string, string?> DefaultSettings() => new()
    {
        ["Collector:ScrapeInterval"] = "00:00:00.050",
        ["Collector:ScrapeTimeout"] = "00:00:02",
        ["Collector:StalenessThreshold"] = "00:00:02",
        ["Collector:UnhealthyThreshold"] = "00:00:10",
        ["Collector:UnhealthyAfterFailures"] = "2",
        ["Collector:Discovery"] = "File",
        ["Collector:PoolFile"] = "pool.yaml",
        ["Collector:PoolFilePollInterval"] = "00:00:00.050",
        ["Collector:SnapshotSaveInterval"] = "00:00:00.500",
    };

    public static async Task<CollectorHost> StartAsync(string poolYaml, Action<Dictionary<string, string?>>? configure = null,
        InMemoryEventBus? bus = null, Action<InMemoryEventBus>? beforeStart = null, DaprStandIn.DaprStandIn? sidecar = null)
    {
        var dir = Directory.CreateTempSubdirectory("collector").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "pool.yaml"), poolYaml);
        var settings = DefaultSettings();
        if (sidecar is not null)
        {
            settings["DAPR_HTTP_ENDPOINT"] = sidecar.HttpEndpoint.ToString();
            settings["DAPR_GRPC_ENDPOINT"] = sidecar.GrpcEndpoint.ToString();
        }
        configure?.Invoke(settings);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = dir, EnvironmentName = "Test" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0));
        builder.Configuration.AddInMemoryCollection(settings);
        var ownsBus = bus is null;
        bus ??= new InMemoryEventBus();
        var store = new RecordingStore();
        // With a sidecar (stand-in) the service's Dapr registration is used; otherwise its core with the in-memory bus and a recorder.
        builder.AddServiceDefaults(AppIds.MetricsCollector);
        if (sidecar is null)
        {
            builder.Services.AddSingleton<ISnapshotStore>(store);
            builder.Services.AddInMemoryEventBus(bus);
            builder.AddMetricsCollectorCore();
        }
        else
        {
            builder.AddMetricsCollector();
        }
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapMetricsCollectorApi();
        beforeStart?.Invoke(bus);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            Directory.Delete(dir, true);
            throw;
        }
        return new CollectorHost(app, new HttpClient { BaseAddress = TestServers.AddressOf(app) }, dir, bus, store, ownsBus);
    }

    public async Task<IReadOnlyList<EndpointStatus>> EndpointsAsync() =>
        (await Http.GetFromJsonAsync("/endpoints", CollectorJsonContext.Default.IReadOnlyListEndpointStatus))!;

    public async Task<EndpointStatus?> EndpointAsync(string address) =>
        (await EndpointsAsync()).FirstOrDefault(e => e.Address == address);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownsBus)
            await Bus.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    /// <summary>Counts state-store saves instead of calling a sidecar.</summary>
    internal sealed class RecordingStore : ISnapshotStore
    {
        public ConcurrentQueue<PoolSnapshot> Saved { get; } = new();

        public Task SaveAsync(PoolSnapshot snapshot, CancellationToken cancellationToken)
        {
            Saved.Enqueue(snapshot);
            return Task.CompletedTask;
        }
    }

    /// <summary>A scheduler-like subscriber of endpoint-metrics in its own consumer group.</summary>
    internal sealed class SnapshotSubscriber : IDisposable
    {
        private readonly IDisposable _membership;

        public SnapshotSubscriber(InMemoryEventBus bus, string consumerGroup)
        {
            var subscription = DaprSubscription.Create(DaprNames.FanOutPubSub, DaprNames.EndpointMetricsTopic, "/endpoint-metrics",
                ContractsJsonContext.Default.PoolSnapshot, (snapshot, _) =>
                {
                    Received.Enqueue(snapshot);
                    return ValueTask.FromResult(TopicResult.Success);
                });
            _membership = bus.Subscribe(subscription, consumerGroup);
        }

        public ConcurrentQueue<PoolSnapshot> Received { get; } = new();

        public PoolSnapshot? Last => Received.LastOrDefault();

        public void Dispose() => _membership.Dispose();
    }
}
