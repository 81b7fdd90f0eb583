using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapr.Client;
using InferenceMesh.Contracts;
using InferenceMesh.DaprStandIn;
using InferenceMesh.ExtProc;
using InferenceMesh.Scheduler;
using InferenceMesh.Scheduling;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandIn = InferenceMesh.DaprStandIn.DaprStandIn;

namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>One started system under test of <c>probe-extproc</c>: an ext_proc gRPC address and what it may answer.</summary>
internal sealed class ExtProcProbeTarget : IAsyncDisposable
{
    public const string Pool = "bench";

    private readonly List<Func<ValueTask>> _cleanup = [];
    private SchedulingService? _scheduler;

    private ExtProcProbeTarget(string mode, IReadOnlyList<string> endpoints)
    {
        Mode = mode;
        Endpoints = endpoints;
    }

    public string Mode { get; }

    /// <summary>The ext_proc (h2c) address.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The started ext-proc host's services (null for the pass-through server).</summary>
    public IServiceProvider? ExtProcServices { get; private set; }

    /// <summary>The endpoints a decision may name.</summary>
    public IReadOnlyList<string> Endpoints { get; }

    public static async Task<ExtProcProbeTarget> StartAsync(string mode, int endpoints)
    {
        var list = new string[endpoints];
        for (var i = 0; i < list.Length; i++)
            list[i] = string.Create(CultureInfo.InvariantCulture, $"10.0.{i / 250}.{(i % 250) + 1}:8000");
        var target = new ExtProcProbeTarget(mode, mode == ExtProcProbeOptions.PassThrough ? [ExtProcBenchHosts.Endpoint] : list);
        try
        {
            switch (mode)
            {
                case ExtProcProbeOptions.PassThrough:
                    await target.StartPassThroughAsync().ConfigureAwait(false);
                    break;
                case ExtProcProbeOptions.Instant:
                    await target.StartInstantAsync().ConfigureAwait(false);
                    break;
                case ExtProcProbeOptions.InProcess:
                    await target.StartInProcessAsync().ConfigureAwait(false);
                    break;
                case ExtProcProbeOptions.StandIns:
                    await target.StartStandInsAsync().ConfigureAwait(false);
                    break;
                default:
                    throw new ArgumentException($"unknown mode '{mode}'", nameof(mode));
            }
            return target;
        }
        catch
        {
            await target.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartPassThroughAsync()
    {
        var (app, address) = await ExtProcBenchHosts.StartPassThroughAsync().ConfigureAwait(false);
        OnDispose(app);
        Address = address;
    }

    /// <summary>ext-proc with a scheduler that answers at once: ext-proc's own cost, without the pick.</summary>
    private async Task StartInstantAsync()
    {
        var builder = Builder(AppIds.ExtProc, ExtProcSettings());
        builder.Services.AddSingleton<ISchedulingService>(new InstantScheduling(Endpoints[0]));
        await StartExtProcAsync(builder).ConfigureAwait(false);
    }

    /// <summary>The embedded mode's wiring: ext-proc calls the real <see cref="SchedulingService"/> directly.</summary>
    private async Task StartInProcessAsync()
    {
        var scheduler = new SchedulingService(ProbeSchedulerOptions(), TimeProvider.System, new Random(7), "probe-scheduler");
        _cleanup.Add(() =>
        {
            scheduler.Dispose();
            return ValueTask.CompletedTask;
        });
        _scheduler = scheduler;
        if (scheduler.ApplySnapshot(Snapshot(1)) != SnapshotResult.Applied)
            throw new InvalidOperationException("the in-process scheduler refused the pool snapshot");

        var builder = Builder(AppIds.ExtProc, ExtProcSettings());
        builder.Services.AddSingleton<ISchedulingService>(scheduler);
        await StartExtProcAsync(builder).ConfigureAwait(false);
    }

    /// <summary>The distributed wiring of the end-to-end fixture, in one process: ext-proc and the scheduler are the
    /// services' own registrations on Kestrel, each with its Dapr stand-in sidecar on a real redis-server. ext-proc's
    /// <c>POST scheduler/schedule</c> goes through its sidecar's invocation API to the scheduler app; completions and
    /// the scheduler's routing decisions go through pub/sub; the pool snapshot reaches the scheduler over
    /// <c>pubsub-fanout/endpoint-metrics</c> as metrics-collector publishes it.</summary>
    private async Task StartStandInsAsync()
    {
        var redis = RedisServerProcess.Start();
        _cleanup.Add(() =>
        {
            redis.Dispose();
            return ValueTask.CompletedTask;
        });
        var apps = new Dictionary<string, Uri>(StringComparer.Ordinal);
        IReadOnlyList<Uri> Resolve(string appId)
        {
            lock (apps)
                return apps.TryGetValue(appId, out var uri) ? [uri] : [];
        }

        var schedulerSidecar = await StandIn.StartAsync(Sidecar(AppIds.Scheduler, redis, Resolve)).ConfigureAwait(false);
        OnDispose(schedulerSidecar);
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["DAPR_HTTP_ENDPOINT"] = schedulerSidecar.HttpEndpoint.ToString(),
            ["DAPR_GRPC_ENDPOINT"] = schedulerSidecar.GrpcEndpoint.ToString(),
            ["Service:MeterPrefix"] = "InferenceMesh.Scheduler",
            ["Scheduler:QueueThreshold"] = "1000000",
            ["Scheduler:StalenessMs"] = "3600000",
            ["Scheduler:FailOpenAfterMs"] = "0",
            ["Scheduler:RandomSeed"] = "7",
        };
        var schedulerBuilder = Builder(AppIds.Scheduler, settings);
        schedulerBuilder.AddScheduler();
        var schedulerApp = schedulerBuilder.Build();
        schedulerApp.MapDefaultEndpoints();
        schedulerApp.MapSchedulerApi();
        await schedulerApp.StartAsync().ConfigureAwait(false);
        OnDispose(schedulerApp);
        var schedulerAddress = new Uri(schedulerApp.Urls.First().TrimEnd('/') + "/");
        await schedulerSidecar.AttachAppAsync(schedulerAddress).ConfigureAwait(false);
        lock (apps)
            apps[AppIds.Scheduler] = schedulerAddress;

        var extProcSidecar = await StandIn.StartAsync(Sidecar(AppIds.ExtProc, redis, Resolve)).ConfigureAwait(false);
        OnDispose(extProcSidecar);
        var extProcSettings = ExtProcSettings();
        extProcSettings["DAPR_HTTP_ENDPOINT"] = extProcSidecar.HttpEndpoint.ToString();
        extProcSettings["DAPR_GRPC_ENDPOINT"] = extProcSidecar.GrpcEndpoint.ToString();
        var extProcApp = await StartExtProcAsync(Builder(AppIds.ExtProc, extProcSettings)).ConfigureAwait(false);
        var httpPort = extProcApp.Services.GetRequiredService<ExtProcListeners>().HttpPort;
        await extProcSidecar.AttachAppAsync(new Uri($"http://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}/")).ConfigureAwait(false);

        var scheduler = schedulerApp.Services.GetRequiredService<SchedulingService>();
        _scheduler = scheduler;
        await PublishSnapshotUntilFreshAsync(extProcSidecar, scheduler).ConfigureAwait(false);
    }

    /// <summary>A sidecar with the redelivery timing of components/*.yaml, not the tests' sub-second one that would redeliver
    /// completions a loaded machine is merely slow to acknowledge. The streams are bounded at 100,000 entries, not the
    /// fan-out component's 1000: the stand-in delivers one message at a time where daprd delivers several at once, so at
    /// hundreds of completions/s its pump lags, and with 1000 the lagging completions were trimmed before delivery.</summary>
    private static DaprStandInOptions Sidecar(string appId, RedisServerProcess redis, Func<string, IReadOnlyList<Uri>> resolve) => new()
    {
        AppId = appId,
        Redis = redis.Configuration,
        KeyPrefix = "name",
        NameResolver = resolve,
        PubSubs = [new(DaprNames.PubSub, MaxLenApprox: 100_000), new(DaprNames.FanOutPubSub, "{uuid}", MaxLenApprox: 100_000)],
        RedeliverInterval = TimeSpan.FromSeconds(5),
        ProcessingTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>Waits until the scheduler holds no request in flight, so completions (and with them the pub/sub work) of
    /// one row do not run into the next; returns how many are still in flight after <paramref name="timeout"/> (0 = settled).</summary>
    public async Task<int> SettleAsync(TimeSpan timeout)
    {
        if (_scheduler is null)
            return 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var inFlight = _scheduler.GetQueueStatus().InFlight;
            if (inFlight == 0 || Stopwatch.GetTimestamp() > deadline)
                return inFlight;
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <summary>Publishes the snapshot through a sidecar until the scheduler holds every endpoint fresh (a consumer group
    /// created after the first publish would not see it, so it is repeated with a new sequence).</summary>
    private async Task PublishSnapshotUntilFreshAsync(StandIn sidecar, SchedulingService scheduler)
    {
        using var dapr = new DaprClientBuilder().UseGrpcEndpoint(sidecar.GrpcEndpoint.ToString()).UseHttpEndpoint(sidecar.HttpEndpoint.ToString()).Build();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        for (long sequence = 1; ; sequence++)
        {
            await dapr.PublishByteEventAsync(DaprNames.FanOutPubSub, DaprNames.EndpointMetricsTopic,
                JsonSerializer.SerializeToUtf8Bytes(Snapshot(sequence), ContractsJsonContext.Default.PoolSnapshot)).ConfigureAwait(false);
            for (var i = 0; i < 10; i++)
            {
                if (FreshEndpoints(scheduler) >= Endpoints.Count)
                    return;
                await Task.Delay(50).ConfigureAwait(false);
            }
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"the scheduler did not receive the pool snapshot over pub/sub within 60 s ({FreshEndpoints(scheduler)} of {Endpoints.Count} endpoints fresh)");
        }
    }

    private static int FreshEndpoints(SchedulingService scheduler)
    {
        foreach (var pool in scheduler.GetPoolStatus())
        {
            if (pool.Pool != Pool)
                continue;
            var fresh = 0;
            foreach (var e in pool.Endpoints)
            {
                if (e.Fresh)
                    fresh++;
            }
            return fresh;
        }
        return 0;
    }

    /// <summary>Starts ext-proc with the scheduler registered on <paramref name="builder"/>, or, when none is, with its Dapr one.</summary>
    private async Task<WebApplication> StartExtProcAsync(WebApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(ISchedulingService)))
            builder.AddExtProcCore();
        else
            builder.AddExtProc();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapExtProcApi();
        await app.StartAsync().ConfigureAwait(false);
        OnDispose(app);
        ExtProcServices = app.Services;
        Address = new Uri($"http://127.0.0.1:{app.Services.GetRequiredService<ExtProcListeners>().GrpcPort.ToString(CultureInfo.InvariantCulture)}");
        return app;
    }

    private static Dictionary<string, string?> ExtProcSettings() => new(StringComparer.Ordinal)
    {
        ["ExtProc:ListenAddress"] = "127.0.0.1",
        ["ExtProc:GrpcPort"] = "0",
        ["ExtProc:HttpPort"] = "0",
        ["ExtProc:HealthPort"] = "0",
        ["ExtProc:MetricsPort"] = "0",
        ["ExtProc:SecureServing"] = "false",
        ["ExtProc:Pool"] = Pool,
        ["ExtProc:RandomSeed"] = "7",
        ["Service:MeterPrefix"] = ExtProcMetrics.MeterName,
    };

    /// <summary>A pick on every decision, never a queue: no saturation (huge queue threshold), no staleness within a run,
    /// and no fail-open (the one snapshot would otherwise count as lost after <c>FailOpenAfterMs</c>, and every measured
    /// decision would take the fallback path instead of the picker's).</summary>
    private static SchedulerOptions ProbeSchedulerOptions() => new() { QueueThreshold = 1_000_000, StalenessMs = 3_600_000, FailOpenAfterMs = 0, RandomSeed = 7 };

    /// <summary>Decisions the scheduler made fail-open so far (0 for modes without a scheduler): a measured row must add none.</summary>
    public long FailOpenDecisions => _scheduler?.FailOpenDecisions ?? 0;

    private PoolSnapshot Snapshot(long sequence)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var metrics = new EndpointMetrics[Endpoints.Count];
        for (var i = 0; i < metrics.Length; i++)
            metrics[i] = new EndpointMetrics(Endpoints[i], i % 3, 4 + (i % 5), 0.1 + (0.05 * (i % 4)), [], [], 4, 16, 10_000, now, EndpointHealth.Healthy);
        return new PoolSnapshot(Pool, "probe-collector", sequence, now, metrics);
    }

    /// <summary>A host with the service defaults, an empty content root (no service appsettings.json leaks in) and no log
    /// output (the probe's own output is the table); each host exposes only its own service's meter, as its own process would.</summary>
    private WebApplicationBuilder Builder(string appId, Dictionary<string, string?> settings)
    {
        var root = Directory.CreateTempSubdirectory("im-probe-extproc-").FullName;
        _cleanup.Add(() =>
        {
            Directory.Delete(root, recursive: true);
            return ValueTask.CompletedTask;
        });
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = root, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults(appId);
        return builder;
    }

    private void OnDispose(IAsyncDisposable owned) => _cleanup.Add(owned.DisposeAsync);

    private void OnDispose(WebApplication app) => _cleanup.Add(async () =>
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    });

    private sealed class InstantScheduling(string endpoint) : ISchedulingService
    {
        private readonly ScheduleResponse _scheduled = new(ScheduleOutcome.Scheduled, endpoint, [], 200, null, "probe-instant", 0);

        public ValueTask<ScheduleResponse> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken) => ValueTask.FromResult(_scheduled);

        public ValueTask CompleteAsync(RequestCompletion completion, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _cleanup.Count - 1; i >= 0; i--)
            await _cleanup[i]().ConfigureAwait(false);
        _cleanup.Clear();
    }
}
