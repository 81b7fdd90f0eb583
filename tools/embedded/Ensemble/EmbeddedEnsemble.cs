using System.Globalization;
using System.Text;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.ExtProc;
using InferenceMesh.Garnet;
using InferenceMesh.Gateway;
using InferenceMesh.MetricsCollector;
using InferenceMesh.PrefixIndex;
using InferenceMesh.Scheduler;
using InferenceMesh.Scheduling;
using InferenceMesh.ServiceDefaults;
using InferenceMesh.VllmSim.Http;

namespace InferenceMesh.Embedded.Ensemble;

/// <summary>
/// The whole system in one process: a simulated vLLM fleet on loopback ports, the four services' real code (each its own
/// Kestrel host; the prefix index on the production redis backend against a Garnet server in this process, or in memory;
/// pub/sub on one <see cref="InMemoryEventBus"/>, invocation as direct calls; each service's <c>AddXxxCore()</c> composed
/// with these in-process transports instead of its Dapr ones), and the development gateway in front. In <see cref="RoutingMode.LeastRequest"/> the same ext-proc runs with a least-request
/// picker instead of the scheduler, so both modes share the HTTP and ext_proc transport.
/// </summary>
internal sealed class EmbeddedEnsemble : IAsyncDisposable
{
    private readonly List<WebApplication> _apps = [];
    private readonly List<IAsyncDisposable> _owned = [];
    private string? _tempDir;

    private EmbeddedEnsemble(RoutingMode mode) => Mode = mode;

    public RoutingMode Mode { get; }

    public SimFleetHost Fleet { get; private set; } = null!;

    /// <summary>Where OpenAI clients send requests.</summary>
    public Uri GatewayAddress { get; private set; } = null!;

    /// <summary>ext_proc (h2c) address, for Envoy-style clients.</summary>
    public Uri ExtProcAddress { get; private set; } = null!;

    /// <summary>HTTP addresses of the services (health, metrics, APIs), by app id.</summary>
    public Dictionary<string, Uri> ServiceAddresses { get; } = new(StringComparer.Ordinal);

    /// <summary>The in-process Garnet behind the prefix index (null with the memory backend or in least-request mode).</summary>
    public InProcessGarnet? Garnet { get; private set; }

    /// <summary>"ip:port" of every fleet server, by server index.</summary>
    public IReadOnlyList<string> Endpoints { get; private set; } = [];

    /// <summary>The in-process scheduler (InferenceMesh mode only).</summary>
    public SchedulingService? Scheduler { get; private set; }

    /// <summary>The baseline picker (least-request mode only).</summary>
    public LeastRequestScheduling? LeastRequest { get; private set; }

    public static async Task<EmbeddedEnsemble> StartAsync(EnsembleOptions options, RoutingMode mode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ensemble = new EmbeddedEnsemble(mode);
        try
        {
            await ensemble.StartCoreAsync(options, cancellationToken).ConfigureAwait(false);
            return ensemble;
        }
        catch
        {
            await ensemble.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(EnsembleOptions options, CancellationToken ct)
    {
        _tempDir = Directory.CreateTempSubdirectory("inferencemesh-embedded-").FullName;
        Fleet = await SimFleetHost.StartAsync(
            new SimHostOptions { Servers = options.Servers, Port = 0, Host = "127.0.0.1", TimeScale = options.TimeScale, Server = options.ServerOptions() },
            ct: ct).ConfigureAwait(false);
        _owned.Add(Fleet);
        Endpoints = [.. Fleet.BaseAddresses.Select(u => u.Authority)];

        var bus = new InMemoryEventBus();
        _owned.Add(bus);

        ISchedulingService picker;
        if (Mode == RoutingMode.InferenceMesh)
        {
            var poolFile = Path.Combine(_tempDir, "pool.yaml");
            await File.WriteAllTextAsync(poolFile, PoolFile(options.Pool, Endpoints), ct).ConfigureAwait(false);

            var prefix = Builder(options, AppIds.PrefixIndex, PrefixSettings(options));
            prefix.Services.AddInMemoryEventBus(bus);
            prefix.AddPrefixIndexCore();
            var prefixApp = prefix.Build();
            prefixApp.MapDefaultEndpoints();
            prefixApp.MapPrefixIndexApi();
            await StartAsync(prefixApp, AppIds.PrefixIndex, ct).ConfigureAwait(false);

            var scheduler = Builder(options, AppIds.Scheduler, new()
            {
                ["Scheduler:RandomSeed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            });
            scheduler.Services.AddInMemoryEventBus(bus);
            // Invocation scheduler → prefix-index becomes a direct call into the prefix-index host's service.
            scheduler.Services.AddSingleton(prefixApp.Services.GetRequiredService<IPrefixIndexService>());
            scheduler.AddSchedulerCore();
            var schedulerApp = scheduler.Build();
            schedulerApp.MapDefaultEndpoints();
            schedulerApp.MapSchedulerApi();
            Scheduler = schedulerApp.Services.GetRequiredService<SchedulingService>();
            // The pool's annotations as on Kubernetes (the pool file says the same): prefix-aware profile, queueing on.
            Scheduler.ConfigurePool(options.Pool, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [PoolAnnotations.RoutingStrategy] = PoolAnnotations.StrategyPrefixCache,
                [PoolAnnotations.UseQueueing] = "true",
            });
            await StartAsync(schedulerApp, AppIds.Scheduler, ct).ConfigureAwait(false);

            var collector = Builder(options, AppIds.MetricsCollector, new()
            {
                ["Collector:Discovery"] = "File",
                ["Collector:PoolFile"] = poolFile,
                ["Collector:Pool"] = options.Pool,
                ["Collector:SaveSnapshots"] = "false",
            });
            collector.Services.AddInMemoryEventBus(bus);
            collector.AddMetricsCollectorCore();
            var collectorApp = collector.Build();
            collectorApp.MapDefaultEndpoints();
            collectorApp.MapMetricsCollectorApi();
            await StartAsync(collectorApp, AppIds.MetricsCollector, ct).ConfigureAwait(false);
            picker = Scheduler;
        }
        else
        {
            LeastRequest = new LeastRequestScheduling(Endpoints, options.Seed);
            picker = LeastRequest;
        }

        var extProc = Builder(options, AppIds.ExtProc, new()
        {
            ["Urls"] = null,
            ["ExtProc:ListenAddress"] = "127.0.0.1",
            ["ExtProc:GrpcPort"] = "0",
            ["ExtProc:HttpPort"] = "0",
            ["ExtProc:HealthPort"] = "0",
            ["ExtProc:MetricsPort"] = "0",
            ["ExtProc:SecureServing"] = "false",
            ["ExtProc:Pool"] = options.Pool,
            ["ExtProc:RandomSeed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
        });
        extProc.Services.AddSingleton(picker);
        extProc.AddExtProcCore();
        var extProcApp = extProc.Build();
        extProcApp.MapDefaultEndpoints();
        extProcApp.MapExtProcApi();
        await extProcApp.StartAsync(ct).ConfigureAwait(false);
        _apps.Add(extProcApp);
        var listeners = extProcApp.Services.GetRequiredService<ExtProcListeners>();
        ExtProcAddress = new Uri($"http://127.0.0.1:{listeners.GrpcPort}");
        ServiceAddresses[AppIds.ExtProc] = new Uri($"http://127.0.0.1:{listeners.HttpPort}/");

        var gateway = await GatewayHost.StartAsync(
            new GatewayOptions { ListenAddress = options.ListenAddress, Port = options.GatewayPort, ExtProcAddress = ExtProcAddress.ToString() },
            logging => logging.SetMinimumLevel(options.LogLevel),
            ct).ConfigureAwait(false);
        _owned.Add(gateway);
        GatewayAddress = gateway.Address;

        if (Scheduler is not null)
            await WaitForPoolAsync(Scheduler, options.Pool, Endpoints.Count, ct).ConfigureAwait(false);
    }

    /// <summary>The scheduler can pick once a snapshot with every server fresh has arrived over the bus.</summary>
    private static async Task WaitForPoolAsync(SchedulingService scheduler, string pool, int servers, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            foreach (var p in scheduler.GetPoolStatus())
            {
                if (p.Pool != pool)
                    continue;
                var fresh = 0;
                foreach (var e in p.Endpoints)
                {
                    if (e.Fresh)
                        fresh++;
                }
                if (fresh >= servers)
                    return;
            }
            try
            {
                await Task.Delay(50, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new InvalidOperationException(
                    $"the scheduler did not receive a metrics snapshot of all {servers} servers of pool '{pool}' within 60 s " +
                    "(metrics-collector → in-process pub/sub → scheduler)");
            }
        }
    }

    /// <summary>The prefix-index's configuration; with Garnet, the server is started first.</summary>
    private Dictionary<string, string?> PrefixSettings(EnsembleOptions options)
    {
        if (options.PrefixBackend == PrefixBackend.Memory)
            return new() { ["PrefixIndex:Backend"] = "memory" };
        if (options.PrefixBackend != PrefixBackend.Garnet)
            throw new InvalidOperationException($"unknown prefix backend '{options.PrefixBackend}'; known: {string.Join(", ", PrefixBackend.All)}");
        // Sized for a demo's index (a few MB); its own folder under the ensemble's temp directory.
        Garnet = InProcessGarnet.Start(new InProcessGarnetOptions { CheckpointDirectory = Path.Combine(_tempDir!, "garnet"), LogLevel = options.LogLevel });
        _owned.Add(Garnet);
        return new()
        {
            ["PrefixIndex:Backend"] = "redis",
            ["PrefixIndex:Redis"] = Garnet.ConnectionString,
        };
    }

    private WebApplicationBuilder Builder(EnsembleOptions options, string appId, Dictionary<string, string?> settings)
    {
        // An empty content root: the services' own appsettings.json (copied next to this tool) must not leak in.
        var root = Directory.CreateDirectory(Path.Combine(_tempDir!, appId)).FullName;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = root, EnvironmentName = "Production" });
        var all = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Urls"] = "http://127.0.0.1:0",
        };
        foreach (var (k, v) in settings)
            all[k] = v;
        builder.Configuration.AddInMemoryCollection(all);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.AddServiceDefaults(appId);
        return builder;
    }

    private async Task StartAsync(WebApplication app, string appId, CancellationToken ct)
    {
        await app.StartAsync(ct).ConfigureAwait(false);
        _apps.Add(app);
        ServiceAddresses[appId] = new Uri(app.Urls.First().TrimEnd('/') + "/");
    }

    /// <summary>The local pool file (docs/metrics-collector.md) naming the fleet's ports.</summary>
    internal static string PoolFile(string pool, IReadOnlyList<string> endpoints)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            apiVersion: inference.networking.x-k8s.io/v1alpha2
            kind: InferencePool
            metadata:
              name: {pool}
              annotations:
                inference.networking.x-k8s.io/routing-strategy: PREFIX_CACHE
                inference-epp-env.networking.x-k8s.io/experimental-use-queueing: "true"
            spec:
              targetPortNumber: 8000
              selector:
                app: {pool}
              extensionRef:
                name: inferencemesh-ext-proc
            ---
            apiVersion: inferencemesh.io/v1
            kind: LocalEndpoints
            metadata:
              name: {pool}-sim
            spec:
              poolRef:
                name: {pool}
              endpoints:

            """);
        for (var i = 0; i < endpoints.Count; i++)
            sb.Append(CultureInfo.InvariantCulture, $"    - {{ address: \"{endpoints[i]}\", engine: vllm, name: sim-{i} }}\n");
        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            if (_owned[i] is GatewayHost)
                await _owned[i].DisposeAsync().ConfigureAwait(false);
        }
        for (var i = _apps.Count - 1; i >= 0; i--)
        {
            try
            {
                await _apps[i].StopAsync().ConfigureAwait(false);
            }
            finally
            {
                await _apps[i].DisposeAsync().ConfigureAwait(false);
            }
        }
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            if (_owned[i] is not GatewayHost)
                await _owned[i].DisposeAsync().ConfigureAwait(false);
        }
        if (_tempDir is not null)
        {
            try
            {
                Directory.Delete(_tempDir, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind is harmless.
            }
        }
    }
}
