using System.Globalization;
using System.Text.Json;
using InferenceMesh.DaprStandIn;
using InferenceMesh.Gateway;
using InferenceMesh.VllmSim;
using InferenceMesh.VllmSim.Http;

namespace InferenceMesh.EndToEnd.Tests.Support;

/// <summary>
/// The distributed deployment on one machine: a real redis-server; the four services as separate processes (one
/// metrics-collector, two prefix-index on the redis backend, two schedulers, two ext-procs), each replica with its own Dapr
/// stand-in sidecar (state and pub/sub on the redis-server, invocation round-robin over the callee's replicas); the
/// simulated fleet; and one development gateway in front of each ext-proc replica. Every service exports its traces over
/// OTLP to <see cref="Telemetry"/>.
/// </summary>
public class DistributedEnsemble : IAsyncLifetime
{
    public const string Pool = "qwen";
    public const string Model = "Qwen/Qwen2.5-7B-Instruct";
    public const string Adapter = "sql-lora";

    /// <summary>A client-facing model name that only the pool file's InferenceModel maps to <see cref="Adapter"/>.</summary>
    public const string AdapterAlias = "sql-assistant";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(180);

    /// <summary>The sidecars' API token (DAPR_API_TOKEN) and the token they present to the apps (APP_API_TOKEN), as
    /// <c>dapr.io/api-token-secret</c> and <c>dapr.io/app-token-secret</c> would set them.</summary>
    private readonly string _apiToken = Guid.NewGuid().ToString("N");
    private readonly string _appToken = Guid.NewGuid().ToString("N");
    private readonly List<DaprStandIn.DaprStandIn> _sidecars = [];
    private readonly Dictionary<string, List<Uri>> _replicas = new(StringComparer.Ordinal);
    private readonly List<ServiceProcess> _processes = [];
    private readonly List<GatewayHost> _gateways = [];
    private readonly List<GatewayHost> _lateGateways = [];
    private RedisServerProcess? _redis;
    private OtlpReceiver? _otlp;
    private SimFleetHost? _fleet;
    private readonly EnsembleTopology _topology;
    private readonly Dictionary<string, string> _schedulerEnv = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _collectorEnv = new(StringComparer.Ordinal);
    private string? _tempDir;
    private string? _poolFile;
    private SimFleetHost? _extraServer;

    public DistributedEnsemble()
        : this(new EnsembleTopology())
    {
    }

    protected DistributedEnsemble(EnsembleTopology topology)
    {
        ArgumentNullException.ThrowIfNull(topology);
        _topology = topology;
        foreach (var (key, value) in topology.SchedulerEnvironment)
            _schedulerEnv[key] = value;
    }

    /// <summary>The redis-server under every sidecar and the prefix index (faults kill and restart it).</summary>
    public RedisServerProcess Redis => _redis ?? throw new InvalidOperationException("not started");

    /// <summary>A gateway over every ext-proc replica that retries a failed stream on another one (Envoy with a retry policy).</summary>
    public Uri RetryingGateway => _gateways[^1].Address;

    /// <summary>The address of the separate one-server fleet (<see cref="EnsembleTopology.ExtraServer"/>), which a test may stop.</summary>
    public string? ExtraEndpoint { get; private set; }

    /// <summary>Stops the extra one-server fleet: its connections drop as when a model server dies.</summary>
    public async Task KillExtraServerAsync()
    {
        if (_extraServer is { } s)
        {
            _extraServer = null;
            await s.DisposeAsync();
        }
    }

    /// <summary>Every started process of <paramref name="appId"/> (replicas and restarts).</summary>
    public IReadOnlyList<ServiceProcess> ProcessesOf(string appId)
    {
        lock (_processes)
            return [.. _processes.Where(p => p.Name.StartsWith(appId + "-", StringComparison.Ordinal))];
    }

    public IReadOnlyList<string> Endpoints { get; private set; } = [];

    /// <summary>One gateway per ext-proc replica (index = replica).</summary>
    public IReadOnlyList<Uri> Gateways => [.. _gateways.Take(_topology.ExtProcs).Select(g => g.Address)];

    public List<ServiceProcess> Schedulers { get; } = [];

    public List<Uri> SchedulerAddresses { get; } = [];

    /// <summary>The spans the services exported.</summary>
    public OtlpReceiver Telemetry => _otlp ?? throw new InvalidOperationException("not started");

    /// <summary>The HTTP addresses (health, <c>/metrics</c>, app channel) of every replica of <paramref name="appId"/>.</summary>
    public IReadOnlyList<Uri> AddressesOf(string appId) => ResolveReplicas(appId);

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch (Exception e)
        {
            // A fixture failure otherwise shows only the exception: the processes' own output says why.
            throw new InvalidOperationException($"The distributed ensemble did not start: {e.Message}\n{Logs()}", e);
        }
    }

    private async Task StartAsync()
    {
        _tempDir = Directory.CreateTempSubdirectory("im-e2e-").FullName;
        _redis = RedisServerProcess.Start();
        _otlp = await OtlpReceiver.StartAsync();
        _fleet = await SimFleetHost.StartAsync(new SimHostOptions
        {
            Servers = 4,
            Port = 0,
            TimeScale = 10,
            Server = new SimServerOptions { ModelName = Model, LoraModules = [new LoraModule(Adapter, "/adapters/" + Adapter)], MaxLoras = 1 },
        });
        Endpoints = [.. _fleet.BaseAddresses.Select(u => u.Authority)];
        if (_topology.ExtraServer)
        {
            _extraServer = await SimFleetHost.StartAsync(new SimHostOptions { Servers = 1, Port = 0, TimeScale = 10, Server = new SimServerOptions { ModelName = Model } });
            ExtraEndpoint = _extraServer.BaseAddresses[0].Authority;
            Endpoints = [.. Endpoints, ExtraEndpoint];
        }
        var poolFile = _poolFile = Path.Combine(_tempDir, "pool.yaml");
        // The pool file is the one source of pool settings for every service: endpoints (collector), the PREFIX_CACHE
        // annotation (scheduler) and an InferenceModel alias of the adapter (ext-proc), as with `dapr run -f .`.
        await File.WriteAllTextAsync(poolFile, Embedded.Ensemble.EmbeddedEnsemble.PoolFile(Pool, Endpoints) + $$"""
            ---
            apiVersion: inference.networking.x-k8s.io/v1alpha2
            kind: InferenceModel
            metadata:
              name: {{AdapterAlias}}
            spec:
              modelName: {{AdapterAlias}}
              criticality: Critical
              poolRef:
                name: {{Pool}}
              targetModels:
                - name: {{Adapter}}
                  weight: 100

            """);

        // Start order follows the dependencies (each replica's sidecar first, then the app, then the app channel).
        var redisAddress = $"127.0.0.1:{_redis.Port}";
        var starts = new List<Task<(ServiceProcess Process, Uri Address, Uri? Grpc)>>();
        for (var i = 0; i < _topology.PrefixIndexes; i++)
            starts.Add(StartReplicaAsync("prefix-index", $"prefix-index-{i}", "InferenceMesh.PrefixIndex", new() { ["PrefixIndex__Backend"] = "redis", ["PrefixIndex__Redis"] = redisAddress }));
        _schedulerEnv["Discovery__Mode"] = "File";
        _schedulerEnv["Discovery__PoolFile"] = poolFile;
        // Invocation through two stand-ins on a loaded machine: a 50 ms prefix lookup would often time out.
        _schedulerEnv.TryAdd("Scheduler__PrefixMatchTimeoutMs", "3000");
        // The simulated servers run 10 x faster than real ones: a 16-token answer decodes in ≈ 35 ms, and on a loaded machine
        // the proxy path's jitter pushes some past the 50 ms a decode needs to measure the server's speed — only the
        // jittered ones would count. 200 ms keeps short answers out; the decode-speed test streams 120-token answers.
        _schedulerEnv.TryAdd("Scheduler__PredictedTtft__MinDecodeMs", "200");
        var firstScheduler = starts.Count;
        for (var i = 0; i < _topology.Schedulers; i++)
            starts.Add(StartReplicaAsync("scheduler", $"scheduler-{i}", "InferenceMesh.Scheduler", new(_schedulerEnv)));
        _collectorEnv["Collector__Discovery"] = "File";
        _collectorEnv["Collector__PoolFile"] = poolFile;
        _collectorEnv["Collector__Pool"] = Pool;
        starts.Add(StartReplicaAsync("metrics-collector", "metrics-collector-0", "InferenceMesh.MetricsCollector", new(_collectorEnv)));
        for (var i = 0; i < _topology.ExtProcs; i++)
        {
            // Port 0 for both listeners: the bound ports are read back, so no port can be taken between choice and bind.
            starts.Add(StartReplicaAsync("ext-proc", $"ext-proc-{i}", "InferenceMesh.ExtProc", ExtProcEnvironment(poolFile), urls: false));
        }
        var started = await Task.WhenAll(starts);
        for (var i = firstScheduler; i < firstScheduler + _topology.Schedulers; i++)
        {
            Schedulers.Add(started[i].Process);
            SchedulerAddresses.Add(started[i].Address);
        }

        foreach (var extProc in started.Where(s => s.Grpc is not null))
        {
            _gateways.Add(await GatewayHost.StartAsync(new GatewayOptions
            {
                Port = 0,
                ExtProcAddress = extProc.Grpc!.ToString().TrimEnd('/'),
                RequestTimeoutSeconds = 120,
            }));
        }
        _gateways.Add(await GatewayHost.StartAsync(new GatewayOptions
        {
            Port = 0,
            ExtProcAddresses = [.. started.Where(s => s.Grpc is not null).Select(s => s.Grpc!.ToString().TrimEnd('/'))],
            RequestTimeoutSeconds = 120,
        }));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var scheduler in SchedulerAddresses)
            await Poll.UntilSucceedsAsync(() => PoolIsFreshAsync(http, scheduler), $"scheduler {scheduler} to hold a fresh snapshot of {Endpoints.Count} servers", StartTimeout);
        foreach (var gateway in Gateways)
        {
            await Poll.UntilSucceedsAsync(async () =>
            {
                var r = await OpenAi.SendAsync(http, gateway, Model, [("user", "warm-up " + gateway.Port.ToString(CultureInfo.InvariantCulture))], stream: false, maxTokens: 2);
                return r.Status == 200;
            }, $"a first request through the gateway {gateway}", StartTimeout);
        }
    }

    private static Dictionary<string, string> ExtProcEnvironment(string poolFile) => new()
    {
        // Port 0 for every listener: the bound ports are read back, so no port can be taken between choice and bind.
        ["ExtProc__ListenAddress"] = "127.0.0.1",
        ["ExtProc__GrpcPort"] = "0",
        ["ExtProc__HttpPort"] = "0",
        ["ExtProc__HealthPort"] = "0",
        ["ExtProc__MetricsPort"] = "0",
        ["ExtProc__SecureServing"] = "false",
        ["ExtProc__Pool"] = Pool,
        ["Discovery__Mode"] = "File",
        ["Discovery__PoolFile"] = poolFile,
    };

    /// <summary>A replica pair joining mid-run: one more scheduler (and sidecar, subscribed like the others: snapshots,
    /// completions, the other replicas' dispatches) and one more ext-proc whose sidecar invokes only that scheduler, with a
    /// gateway in front of it. The running ext-procs keep resolving the schedulers they had, so every request through the
    /// returned gateway, and only those, is decided by the new scheduler. Returns once the new scheduler holds a fresh
    /// snapshot and a first request went through (a cold start reads the pool from the state store).</summary>
    public async Task<(Uri Gateway, Uri Scheduler)> StartLatePairAsync()
    {
        var scheduler = await StartReplicaAsync("scheduler", $"scheduler-{ProcessesOf("scheduler").Count}", "InferenceMesh.Scheduler", new(_schedulerEnv), register: false);
        var extProc = await StartReplicaAsync("ext-proc", $"ext-proc-{ProcessesOf("ext-proc").Count}", "InferenceMesh.ExtProc", ExtProcEnvironment(_poolFile!), urls: false,
            resolver: appId => appId == "scheduler" ? [scheduler.Address] : ResolveReplicas(appId));
        var gateway = await GatewayHost.StartAsync(new GatewayOptions { Port = 0, ExtProcAddress = extProc.Grpc!.ToString().TrimEnd('/'), RequestTimeoutSeconds = 120 });
        lock (_lateGateways)
            _lateGateways.Add(gateway);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await Poll.UntilSucceedsAsync(() => PoolIsFreshAsync(http, scheduler.Address), $"the late scheduler {scheduler.Address} to hold a fresh snapshot", StartTimeout);
        await Poll.UntilSucceedsAsync(async () =>
            (await OpenAi.SendAsync(http, gateway.Address, Model, [("user", "warm-up late")], stream: false, maxTokens: 2)).Status == 200,
            $"a first request through the late gateway {gateway.Address}", StartTimeout);
        return (gateway.Address, scheduler.Address);
    }

    /// <summary>Starts a new metrics-collector (and sidecar) after the old one was killed.</summary>
    public Task RestartCollectorAsync() =>
        StartReplicaAsync("metrics-collector", $"metrics-collector-{ProcessesOf("metrics-collector").Count}", "InferenceMesh.MetricsCollector", new(_collectorEnv));

    /// <summary>True when the scheduler at <paramref name="scheduler"/> holds fresh metrics of every endpoint but <paramref name="except"/>.</summary>
    public async Task<bool> PoolIsFreshAsync(HttpClient http, Uri scheduler, string? except = null)
    {
        using var doc = JsonDocument.Parse(await GetFromAppAsync(http, new Uri(scheduler, "pool")));
        foreach (var pool in doc.RootElement.EnumerateArray())
        {
            if (pool.GetProperty("pool").GetString() != Pool)
                continue;
            var fresh = 0;
            foreach (var e in pool.GetProperty("endpoints").EnumerateArray())
            {
                if (e.GetProperty("fresh").GetBoolean() && e.GetProperty("address").GetString() != except)
                    fresh++;
            }
            return fresh >= Endpoints.Count - (except is null ? 0 : 1);
        }
        return false;
    }

    /// <summary>Every process's output, for failure messages.</summary>
    public string Logs(int lastLines = 40) => string.Join("\n\n", _processes.Select(p =>
        $"== {p.Name}{(p.HasExited ? " (exited)" : "")}\n" + string.Join('\n', p.Output.Split('\n').TakeLast(lastLines))));

    /// <param name="register">Whether the other sidecars may invoke the new replica (name resolution).</param>
    /// <param name="resolver">The new sidecar's name resolution; null = every registered replica.</param>
    private async Task<(ServiceProcess Process, Uri Address, Uri? Grpc)> StartReplicaAsync(string appId, string name, string assembly, Dictionary<string, string> env,
        bool urls = true, bool register = true, Func<string, IReadOnlyList<Uri>>? resolver = null)
    {
        var sidecar = await DaprStandIn.DaprStandIn.StartAsync(new DaprStandInOptions
        {
            AppId = appId,
            Redis = _redis!.Configuration,
            ApiToken = _apiToken,
            AppApiToken = _appToken,
            // statestore is shared by the apps (components/statestore.yaml: keyPrefix name).
            KeyPrefix = "name",
            NameResolver = resolver ?? ResolveReplicas,
        });
        lock (_sidecars)
            _sidecars.Add(sidecar);
        // What daprd gives its app: both ports on localhost and the tokens; Dapr.Client reads them itself.
        env["DAPR_HTTP_PORT"] = sidecar.HttpEndpoint.Port.ToString(CultureInfo.InvariantCulture);
        env["DAPR_GRPC_PORT"] = sidecar.GrpcEndpoint.Port.ToString(CultureInfo.InvariantCulture);
        env["DAPR_API_TOKEN"] = _apiToken;
        env["APP_API_TOKEN"] = _appToken;
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = _otlp!.Address.ToString().TrimEnd('/');
        env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        // Spans leave within 200 ms instead of the default 5 s batch delay.
        env["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        var (process, address, grpc) = await LaunchAsync(name, appId, assembly, env, urls);
        // The app channel: subscriptions are read from the app, deliveries start.
        await sidecar.AttachAppAsync(address);
        if (!register)
            return (process, address, grpc);
        lock (_replicas)
        {
            if (!_replicas.TryGetValue(appId, out var list))
                _replicas[appId] = list = [];
            list.Add(address);
        }
        return (process, address, grpc);
    }

    /// <summary>Starts the process and waits for its listeners; a process that exits before listening is started again
    /// (twice at most) with its output kept for the failure message.</summary>
    private async Task<(ServiceProcess Process, Uri Address, Uri? Grpc)> LaunchAsync(string name, string appId, string assembly, Dictionary<string, string> env, bool urls)
    {
        for (var attempt = 1; ; attempt++)
        {
            var process = urls
                ? ServiceProcess.Start(name, appId, assembly, env, "--urls", "http://127.0.0.1:0")
                : ServiceProcess.Start(name, appId, assembly, env);
            lock (_processes)
                _processes.Add(process);
            try
            {
                if (urls)
                    return (process, await process.WaitListeningAsync(StartTimeout), null);
                // ext-proc: HTTP/1.1 (health, Dapr app channel), h2c ext_proc, h2c gRPC health, HTTP/1.1 metrics, logged in
                // that order; the first two are the ones used.
                var listening = await process.WaitListeningAsync(4, StartTimeout);
                var http = await AnswersHttp1Async(listening[0]) ? listening[0] : listening[1];
                return (process, http, listening.Take(2).First(u => u != http));
            }
            catch (ServiceExitedException) when (attempt < 3)
            {
            }
        }
    }

    private static async Task<bool> AnswersHttp1Async(Uri address)
    {
        // Generous: a process just started on a loaded 2-core machine can take many seconds to answer its first request;
        // the h2c-only listener fails at once (HTTP/1.1 is refused), so only a slow HTTP/1.1 listener waits this long.
        using var http = new HttpClient { Timeout = StartTimeout };
        try
        {
            using var response = await http.GetAsync(new Uri(address, "healthz/live"));
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private IReadOnlyList<Uri> ResolveReplicas(string appId)
    {
        lock (_replicas)
            return _replicas.TryGetValue(appId, out var list) ? [.. list] : [];
    }

    /// <summary>The token the sidecars present to the apps (<c>dapr-api-token</c>), for calls a test makes as the sidecar.</summary>
    public string AppToken => _appToken;

    /// <summary>GET of an app route that only the sidecar may call (it carries the app token, as the sidecar does).</summary>
    public async Task<string> GetFromAppAsync(HttpClient http, Uri uri)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Add("dapr-api-token", _appToken);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    public async Task DisposeAsync()
    {
        await KillExtraServerAsync();
        foreach (var g in _gateways.Concat(_lateGateways))
            await g.DisposeAsync();
        foreach (var p in _processes)
            await p.DisposeAsync();
        foreach (var s in _sidecars)
            await s.DisposeAsync();
        if (_fleet is not null)
            await _fleet.DisposeAsync();
        _redis?.Dispose();
        if (_otlp is not null)
            await _otlp.DisposeAsync();
        if (_tempDir is not null)
            Directory.Delete(_tempDir, recursive: true);
    }
}
