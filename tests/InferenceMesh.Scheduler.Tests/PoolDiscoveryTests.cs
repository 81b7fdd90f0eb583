using InferenceMesh.Kubernetes;
using InferenceMesh.TestSupport.KubernetesStandIn;
using InferenceMesh.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>The real scheduler host with <c>Discovery:Mode=File</c>: the InferencePool's annotations in the pool file choose the
/// routing strategy and queueing, follow edits of the file, and <c>Scheduler:Pools</c> overrides them.</summary>
public sealed class PoolDiscoveryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scheduler-discovery-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string PoolYaml(string pool, string strategy, string queueing) => $"""
        apiVersion: inference.networking.x-k8s.io/v1alpha2
        kind: InferencePool
        metadata:
          name: {pool}
          annotations:
            inference.networking.x-k8s.io/routing-strategy: {strategy}
            inference-epp-env.networking.x-k8s.io/experimental-use-queueing: "{queueing}"
        spec:
          targetPortNumber: 8000
          selector:
            app: {pool}
        """;

    private async Task<string> WritePoolFileAsync(string yaml)
    {
        var path = Path.Combine(_dir, "pool.yaml");
        // Write then rename, as editors and ConfigMap updates do, so the watcher never reads half a file.
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, yaml);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    private static PoolQueueStatus? Pool(SchedulerHost host, string name)
    {
        foreach (var p in host.Services.GetRequiredService<SchedulingService>().GetQueueStatus().Pools)
        {
            if (p.Pool == name)
                return p;
        }
        return null;
    }

    [Fact]
    public async Task PoolFileAnnotations_SetProfileAndQueueing_AndFollowEdits()
    {
        var file = await WritePoolFileAsync(PoolYaml("pool-a", "PREFIX_CACHE", "false"));
        await using var host = await SchedulerHost.StartAsync(new Dictionary<string, string?>
        {
            ["Discovery:Mode"] = "File",
            ["Discovery:PoolFile"] = file,
            ["Discovery:PoolFilePollInterval"] = "00:00:00.050",
        });

        // PREFIX_CACHE maps to Scheduler:PrefixCacheProfile (PREFILL_WORK by default); the annotation turns queueing off.
        await Poll.UntilAsync(() => Pool(host, "pool-a") is { Profile: SchedulerOptions.PrefillWorkProfile, UseQueueing: false }, "the pool settings from discovery");

        await WritePoolFileAsync(PoolYaml("pool-a", "DEFAULT", "true"));

        await Poll.UntilAsync(() => Pool(host, "pool-a") is { Profile: "DEFAULT", UseQueueing: true }, "the pool settings from discovery");
    }

    [Fact]
    public async Task PoolFileAnnotations_AppliedByTheTimeTheHostHasStarted()
    {
        var file = await WritePoolFileAsync(PoolYaml("pool-a", "PREFIX_CACHE", "false"));
        await using var host = await SchedulerHost.StartAsync(new Dictionary<string, string?>
        {
            ["Discovery:Mode"] = "File",
            ["Discovery:PoolFile"] = file,
        });

        var pool = Pool(host, "pool-a");

        Assert.Equal((SchedulerOptions.PrefillWorkProfile, false), (pool?.Profile, pool?.UseQueueing));
    }

    [Fact]
    public async Task PoolFileAnnotations_PoolRemovedFromFile_FallsBackToDefaults()
    {
        var file = await WritePoolFileAsync(PoolYaml("pool-a", "PREFIX_CACHE", "false") + "\n---\n" + PoolYaml("pool-b", "PREFIX_CACHE", "true"));
        await using var host = await SchedulerHost.StartAsync(new Dictionary<string, string?>
        {
            ["Discovery:Mode"] = "File",
            ["Discovery:PoolFile"] = file,
            ["Discovery:PoolFilePollInterval"] = "00:00:00.050",
        });
        await Poll.UntilAsync(() => Pool(host, "pool-a") is { UseQueueing: false }, "the pool settings from discovery");

        await WritePoolFileAsync(PoolYaml("pool-b", "PREFIX_CACHE", "true"));

        await Poll.UntilAsync(() => Pool(host, "pool-a") is { Profile: "DEFAULT", UseQueueing: true }, "the pool settings from discovery");
        Assert.Equal(SchedulerOptions.PrefillWorkProfile, Pool(host, "pool-b")!.Profile);
    }

    [Fact]
    public async Task SchedulerPoolsOption_OverridesTheAnnotation_PerSetting()
    {
        var file = await WritePoolFileAsync(PoolYaml("pool-a", "PREFIX_CACHE", "false"));
        await using var host = await SchedulerHost.StartAsync(new Dictionary<string, string?>
        {
            ["Discovery:Mode"] = "File",
            ["Discovery:PoolFile"] = file,
            ["Scheduler:Pools:pool-a:RoutingStrategy"] = "DEFAULT",
        });

        // The strategy comes from configuration; queueing, not configured, still from the annotation.
        await Poll.UntilAsync(() => Pool(host, "pool-a") is { UseQueueing: false }, "the pool settings from discovery");
        Assert.Equal("DEFAULT", Pool(host, "pool-a")!.Profile);
    }

    [Fact]
    public async Task KubernetesDiscovery_PoolAnnotationFromTheApi_FollowsWatchEvents()
    {
        const string pools = "apis/inference.networking.x-k8s.io/v1alpha2/namespaces/default/inferencepools";
        await using var api = await FakeKubernetesApi.StartAsync();
        var token = Path.Combine(_dir, "token");
        await File.WriteAllTextAsync(token, "t");
        api.Upsert(pools, FakeKubernetesApi.AlphaPool("pool-k", "qwen", 8000, strategy: "PREFIX_CACHE"));
        var discovery = new KubernetesPoolDiscovery(new k8s.Kubernetes(KubernetesConfig.ForApiServer(api.BaseAddress, token)), "default", null,
            NullLoggerFactory.Instance, watchPods: false);
        await using var host = await SchedulerHost.StartAsync(services: s => s.AddSingleton<IPoolDiscovery>(discovery));

        await Poll.UntilAsync(() => Pool(host, "pool-k") is { Profile: SchedulerOptions.PrefillWorkProfile }, "the pool settings from discovery");

        api.Upsert(pools, FakeKubernetesApi.AlphaPool("pool-k", "qwen", 8000, strategy: "DEFAULT"));
        await Poll.UntilAsync(() => Pool(host, "pool-k") is { Profile: "DEFAULT" }, "the pool settings from discovery");
        Assert.Equal(0, api.ListCalls("api/v1/namespaces/default/pods"));
    }

    [Fact]
    public async Task NoDiscoveryConfigured_RunsWithoutPoolFile()
    {
        await using var host = await SchedulerHost.StartAsync();

        Assert.IsType<NoPoolDiscovery>(host.Services.GetRequiredService<IPoolDiscovery>());
        Assert.Empty(host.Services.GetRequiredService<SchedulingService>().GetQueueStatus().Pools);
    }

    [Fact]
    public async Task Start_DiscoveryFileMissing_FailsNamingTheKey()
    {
        await using var app = SchedulerHost.Build(new Dictionary<string, string?>
        {
            ["Discovery:Mode"] = "File",
            ["Discovery:PoolFile"] = Path.Combine(_dir, "missing.yaml"),
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("Discovery:PoolFile", ex.Message, StringComparison.Ordinal);
    }
}
