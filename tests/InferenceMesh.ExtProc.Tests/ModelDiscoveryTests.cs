using System.Text;
using InferenceMesh.Contracts;
using InferenceMesh.Kubernetes;
using InferenceMesh.TestSupport.KubernetesStandIn;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using static InferenceMesh.ExtProc.Tests.EnvoyMessages;
using Microsoft.Extensions.Time.Testing;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>ext-proc on real Kestrel resolving InferenceModels and InferenceObjectives from discovery: the local pool file
/// (live edits) and the Kubernetes API (through the API stand-in), with <c>ExtProc:Models</c> winning for the model names
/// it defines and the objective named by <c>x-gateway-inference-objective</c> setting the band.</summary>
public sealed class ModelDiscoveryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("extproc-discovery-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Model(string name, string criticality, string pool, string target) => $"""
        apiVersion: inference.networking.x-k8s.io/v1alpha2
        kind: InferenceModel
        metadata:
          name: {name}-resource
        spec:
          modelName: {name}
          criticality: {criticality}
          poolRef:
            name: {pool}
          targetModels:
            - name: {target}
              weight: 100
        """;

    private static string Pool(string name) => $"""
        apiVersion: inference.networking.x-k8s.io/v1alpha2
        kind: InferencePool
        metadata:
          name: {name}
        spec:
          targetPortNumber: 8000
          selector:
            app: {name}
        """;

    private static string Objective(string name, string priority, string pool) => $"""
        apiVersion: inference.networking.x-k8s.io/v1alpha2
        kind: InferenceObjective
        metadata:
          name: {name}
        spec:
          priority: {priority}
          poolRef:
            name: {pool}
        """;

    private async Task<string> WritePoolFileAsync(params string[] documents)
    {
        var path = Path.Combine(_dir, "pool.yaml");
        var temp = path + ".tmp";
        await File.WriteAllTextAsync(temp, string.Join("\n---\n", documents));
        File.Move(temp, path, overwrite: true);
        return path;
    }

    private static Dictionary<string, string?> FileDiscovery(string file) => new()
    {
        ["ExtProc:Pool"] = "qwen",
        ["Discovery:Mode"] = "File",
        ["Discovery:PoolFile"] = file,
        ["Discovery:PoolFilePollInterval"] = "00:00:00.050",
    };

    /// <summary>One request through the picker; returns what reached the scheduler and the body forwarded upstream.</summary>
    private static async Task<(ScheduleRequest Scheduled, string Body)> PickAsync(ExtProcTestHost host, string model, string? objective = null)
    {
        var before = host.Scheduler.Requests.Count;
        var body = Encoding.UTF8.GetBytes($$"""{"model":"{{model}}","prompt":"hello"}""");
        await using var call = ExtProcCall.Open(host);
        await call.WriteAsync(RequestHeaders(endOfStream: false, extra: objective is null ? null : [(HeaderNames.InferenceObjective, objective)]));
        await call.WriteAsync(RequestBody(body, true));
        await call.NextAsync();
        var (echoed, _, _) = await call.ReadStreamedRequestBodyAsync();
        Assert.Equal(before + 1, host.Scheduler.Requests.Count);
        return (host.Scheduler.Requests.ToArray()[^1], Encoding.UTF8.GetString(echoed));
    }

    /// <summary>Discovery of namespace "default" on <paramref name="apiServer"/> with a token file, without pod watches.</summary>
    private async Task<KubernetesPoolDiscovery> DiscoveryAsync(Uri apiServer)
    {
        var token = Path.Combine(_dir, "token");
        await File.WriteAllTextAsync(token, "t");
        return new KubernetesPoolDiscovery(new k8s.Kubernetes(KubernetesConfig.ForApiServer(apiServer, token)), "default", null,
            NullLoggerFactory.Instance, watchPods: false);
    }

    private static Task<ExtProcTestHost> StartPickerAsync(IPoolDiscovery discovery) =>
        ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:Pool"] = "qwen" }, s => s.AddSingleton(discovery));

    [Fact]
    public async Task PoolFile_ResolvesCriticalityAndRewrite_AndFollowsEdits()
    {
        var file = await WritePoolFileAsync(Pool("qwen"), Model("chat", "Critical", "qwen", "qwen-lora-a"));
        await using var host = await ExtProcTestHost.StartAsync(FileDiscovery(file));
        var source = host.Services.GetRequiredService<IInferenceModelSource>();
        await Poll.UntilAsync(() => source.Find("chat") is not null, "the pool file was loaded");

        var (scheduled, body) = await PickAsync(host, "chat");
        Assert.Equal(Criticality.Critical, scheduled.Criticality);
        Assert.Equal("qwen-lora-a", scheduled.TargetModel);
        Assert.Equal("""{"model":"qwen-lora-a","prompt":"hello"}""", body);

        await WritePoolFileAsync(Pool("qwen"), Model("chat", "Sheddable", "qwen", "qwen-lora-b"));
        await Poll.UntilAsync(() => source.Find("chat")?.Criticality == Criticality.Sheddable, "the edit was picked up");

        (scheduled, body) = await PickAsync(host, "chat");
        Assert.Equal(Criticality.Sheddable, scheduled.Criticality);
        Assert.Equal("qwen-lora-b", scheduled.TargetModel);
        Assert.Equal("""{"model":"qwen-lora-b","prompt":"hello"}""", body);
    }

    [Fact]
    public async Task PoolFile_ObjectiveHeader_SelectsTheObjectivesBand_AndFollowsEdits()
    {
        var file = await WritePoolFileAsync(Pool("qwen"), Pool("llama"), Model("chat", "Standard", "qwen", "qwen-lora-a"),
            Objective("interactive", "10", "qwen"), Objective("batch", "-1", "qwen"), Objective("zero", "0", "qwen"),
            Objective("elsewhere", "100", "llama"));
        await using var host = await ExtProcTestHost.StartAsync(FileDiscovery(file));
        var source = host.Services.GetRequiredService<IInferenceModelSource>();

        // The objective sets the band; the InferenceModel still rewrites the model.
        var interactive = await PickAsync(host, "chat", "interactive");
        Assert.Equal((Criticality.Critical, "qwen-lora-a"), (interactive.Scheduled.Criticality, interactive.Scheduled.TargetModel));
        Assert.Equal(Criticality.Sheddable, (await PickAsync(host, "chat", "batch")).Scheduled.Criticality);
        Assert.Equal(Criticality.Standard, (await PickAsync(host, "chat", "zero")).Scheduled.Criticality);
        // No header, an unknown objective, or one of another pool: the InferenceModel's criticality.
        Assert.Equal(Criticality.Standard, (await PickAsync(host, "chat")).Scheduled.Criticality);
        Assert.Equal(Criticality.Standard, (await PickAsync(host, "chat", "missing")).Scheduled.Criticality);
        Assert.Equal(Criticality.Standard, (await PickAsync(host, "chat", "elsewhere")).Scheduled.Criticality);
        Assert.Null(source.FindObjective("elsewhere"));
        // A model no InferenceModel names still gets its objective's band.
        var unlisted = (await PickAsync(host, "unlisted", "batch")).Scheduled;
        Assert.Equal((Criticality.Sheddable, ModelResolver.OtherModel), (unlisted.Criticality, unlisted.TargetModel));

        await WritePoolFileAsync(Pool("qwen"), Model("chat", "Standard", "qwen", "qwen-lora-a"), Objective("interactive", "-5", "qwen"));
        await Poll.UntilAsync(() => source.FindObjective("batch") is null, "the edit was picked up");

        Assert.Equal(Criticality.Sheddable, (await PickAsync(host, "chat", "interactive")).Scheduled.Criticality);
        Assert.Equal(Criticality.Standard, (await PickAsync(host, "chat", "batch")).Scheduled.Criticality);
    }

    [Fact]
    public async Task PoolFile_ObjectiveHeader_IsIgnored_WhenTheGatewayHeadersAreNotTrusted()
    {
        var file = await WritePoolFileAsync(Pool("qwen"), Model("chat", "Standard", "qwen", "qwen-lora-a"), Objective("interactive", "10", "qwen"));
        var settings = FileDiscovery(file);
        settings["ExtProc:TrustGatewayHeaders"] = "false";
        await using var host = await ExtProcTestHost.StartAsync(settings);

        Assert.NotNull(host.Services.GetRequiredService<IInferenceModelSource>().FindObjective("interactive"));
        Assert.Equal(Criticality.Standard, (await PickAsync(host, "chat", "interactive")).Scheduled.Criticality);
    }

    [Fact]
    public async Task PoolFile_ObjectiveWithABadPriority_IsRefusedNamingTheKey_AndTheLastGoodObjectivesStay()
    {
        var file = await WritePoolFileAsync(Pool("qwen"), Objective("interactive", "10", "qwen"));
        await using var host = await ExtProcTestHost.StartAsync(FileDiscovery(file));
        var discovery = Assert.IsType<PoolFileDiscovery>(host.Services.GetRequiredService<IPoolDiscovery>());

        await WritePoolFileAsync(Pool("qwen"), Objective("interactive", "urgent", "qwen"));
        await Poll.UntilAsync(() => discovery.LastError is not null, "the broken edit was read");

        Assert.Contains("InferenceObjective interactive has spec.priority 'urgent', which is not an integer", discovery.LastError, StringComparison.Ordinal);
        Assert.Equal(Criticality.Critical, (await PickAsync(host, "chat", "interactive")).Scheduled.Criticality);
    }

    [Fact]
    public async Task PoolFile_ModelsAreKnownBeforeTheFirstRequest()
    {
        var file = await WritePoolFileAsync(Pool("qwen"), Model("chat", "Critical", "qwen", "qwen-lora-a"));
        await using var host = await ExtProcTestHost.StartAsync(FileDiscovery(file));

        // No polling: the file is read while the host starts, so a request right after start is already resolved.
        var (scheduled, _) = await PickAsync(host, "chat");

        Assert.Equal((Criticality.Critical, "qwen-lora-a"), (scheduled.Criticality, scheduled.TargetModel));
    }

    [Fact]
    public async Task PoolFile_ModelOfAnotherPool_IsNotUsed()
    {
        var file = await WritePoolFileAsync(Pool("qwen"), Pool("llama"),
            Model("chat", "Critical", "qwen", "qwen-lora-a"), Model("batch", "Sheddable", "llama", "llama-lora"));
        await using var host = await ExtProcTestHost.StartAsync(FileDiscovery(file));
        var source = host.Services.GetRequiredService<IInferenceModelSource>();
        await Poll.UntilAsync(() => source.Find("chat") is not null, "the pool file was loaded");

        var (scheduled, body) = await PickAsync(host, "batch");

        Assert.Null(source.Find("batch"));
        Assert.Equal((Criticality.Standard, ModelResolver.OtherModel), (scheduled.Criticality, scheduled.TargetModel));
        Assert.Equal("""{"model":"batch","prompt":"hello"}""", body);
    }

    [Fact]
    public async Task ExtProcModels_WinOverThePoolFile_ForTheNamesTheyDefine()
    {
        var file = await WritePoolFileAsync(Pool("qwen"), Model("chat", "Critical", "qwen", "qwen-lora-a"), Model("docs", "Standard", "qwen", "qwen-docs"));
        var settings = FileDiscovery(file);
        settings["ExtProc:Models:0:ModelName"] = "chat";
        settings["ExtProc:Models:0:Criticality"] = "Sheddable";
        await using var host = await ExtProcTestHost.StartAsync(settings);
        var source = host.Services.GetRequiredService<IInferenceModelSource>();
        await Poll.UntilAsync(() => source.Find("docs") is not null, "the pool file was loaded");

        var chat = await PickAsync(host, "chat");
        var docs = await PickAsync(host, "docs");

        Assert.Equal((Criticality.Sheddable, "chat"), (chat.Scheduled.Criticality, chat.Scheduled.TargetModel));
        Assert.Equal("qwen-docs", docs.Scheduled.TargetModel);
        // The objective header names an InferenceModel resource; discovered ones are found by it too.
        Assert.Equal("qwen-docs", source.Find("docs-resource")?.TargetModels[0].Name);
    }

    [Fact]
    public async Task NoDiscoveryConfigured_ModelsComeFromOptionsOnly()
    {
        await using var host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["ExtProc:Models:0:ModelName"] = "chat",
            ["ExtProc:Models:0:Criticality"] = "Critical",
        });

        Assert.IsType<NoPoolDiscovery>(host.Services.GetRequiredService<IPoolDiscovery>());
        var (scheduled, _) = await PickAsync(host, "chat");
        Assert.Equal(Criticality.Critical, scheduled.Criticality);
    }

    [Fact]
    public async Task Start_NegativeReadyTimeout_FailsNamingTheKey()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => ExtProcTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["ExtProc:Pool"] = "qwen",
            ["Discovery:ReadyTimeout"] = "-00:00:01",
        }));

        Assert.Contains("Discovery:ReadyTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_DiscoveryFileMissing_FailsNamingTheKey()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => ExtProcTestHost.StartAsync(FileDiscovery(Path.Combine(_dir, "missing.yaml"))));

        Assert.Contains("Discovery:PoolFile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubernetesDiscovery_ModelsFromTheApi_FollowWatchEvents_WithoutPodAccess()
    {
        const string models = "apis/inference.networking.x-k8s.io/v1alpha2/namespaces/default/inferencemodels";
        const string pools = "apis/inference.networking.x-k8s.io/v1alpha2/namespaces/default/inferencepools";
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Upsert(pools, FakeKubernetesApi.AlphaPool("qwen", "qwen", 8000));
        api.Upsert(models, FakeKubernetesApi.Model("chat", "chat", "Critical", "qwen", ("qwen-lora-a", 100)));
        var discovery = await DiscoveryAsync(api.BaseAddress);
        await using var host = await StartPickerAsync(discovery);
        var source = host.Services.GetRequiredService<IInferenceModelSource>();
        await Poll.UntilAsync(() => source.Find("chat") is not null, "the models were listed");

        var (scheduled, _) = await PickAsync(host, "chat");
        Assert.Equal((Criticality.Critical, "qwen-lora-a"), (scheduled.Criticality, scheduled.TargetModel));

        api.Upsert(models, FakeKubernetesApi.Model("chat", "chat", "Standard", "qwen", ("qwen-lora-b", 1)));
        await Poll.UntilAsync(() => source.Find("chat")?.Criticality == Criticality.Standard, "the watch delivered the change");
        (scheduled, _) = await PickAsync(host, "chat");
        Assert.Equal("qwen-lora-b", scheduled.TargetModel);

        api.Delete(models, "chat");
        await Poll.UntilAsync(() => source.Find("chat") is null, "the deletion arrived");
        Assert.Equal(0, api.ListCalls("api/v1/namespaces/default/pods"));
    }

    [Fact]
    public async Task KubernetesDiscovery_ObjectivesFromTheApi_AddedChangedDeleted_ChangeTheRequestsBand_AcrossARelist()
    {
        const string objectives = "apis/inference.networking.x-k8s.io/v1alpha2/namespaces/default/inferenceobjectives";
        const string models = "apis/inference.networking.x-k8s.io/v1alpha2/namespaces/default/inferencemodels";
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Upsert("apis/inference.networking.k8s.io/v1/namespaces/default/inferencepools", FakeKubernetesApi.GaPool("qwen", "qwen", 8000));
        api.Upsert(models, FakeKubernetesApi.Model("chat", "chat", "Standard", "qwen", ("qwen-lora-a", 100)));
        var discovery = await DiscoveryAsync(api.BaseAddress);
        await using var host = await StartPickerAsync(discovery);
        var source = host.Services.GetRequiredService<IInferenceModelSource>();
        await Poll.UntilAsync(() => discovery.HasSynced && source.Find("chat") is not null, "the first list");
        Assert.Equal(Criticality.Standard, (await PickAsync(host, "chat", "gold")).Scheduled.Criticality);

        // An objective whose priority is not an integer is skipped (logged); it does not hide the valid ones.
        var broken = FakeKubernetesApi.Objective("broken", 1, "qwen");
        broken["spec"]!["priority"] = "high";
        api.Upsert(objectives, broken);
        api.Upsert(objectives, FakeKubernetesApi.Objective("gold", 10, "qwen"));
        await Poll.UntilAsync(() => source.FindObjective("gold") is not null, "the watch delivered the objective");
        Assert.Null(source.FindObjective("broken"));
        Assert.Equal(Criticality.Critical, (await PickAsync(host, "chat", "gold")).Scheduled.Criticality);

        api.Upsert(objectives, FakeKubernetesApi.Objective("gold", -3, "qwen"));
        await Poll.UntilAsync(() => source.FindObjective("gold")?.Priority == -3, "the watch delivered the change");
        Assert.Equal(Criticality.Sheddable, (await PickAsync(host, "chat", "gold")).Scheduled.Criticality);

        // History compacted (410): the informer relists and still follows changes.
        var lists = api.ListCalls(objectives);
        api.ExpireHistory();
        api.Upsert(objectives, FakeKubernetesApi.Objective("gold", null, "qwen"));
        await Poll.UntilAsync(() => source.FindObjective("gold")?.Priority == 0, "the relist delivered the change");
        Assert.True(api.ListCalls(objectives) > lists);
        Assert.Equal(Criticality.Standard, (await PickAsync(host, "chat", "gold")).Scheduled.Criticality);

        api.Upsert(objectives, FakeKubernetesApi.Objective("gold", 7, "qwen"));
        await Poll.UntilAsync(() => source.FindObjective("gold")?.Priority == 7, "the watch resumed");
        api.Delete(objectives, "gold");
        await Poll.UntilAsync(() => source.FindObjective("gold") is null, "the deletion arrived");
        Assert.Equal(Criticality.Standard, (await PickAsync(host, "chat", "gold")).Scheduled.Criticality);
    }

    [Fact]
    public async Task KubernetesDiscovery_ReadinessWaitsForTheFirstList_OrTheTimeout()
    {
        await using var api = await FakeKubernetesApi.StartAsync();
        api.Upsert("apis/inference.networking.x-k8s.io/v1alpha2/namespaces/default/inferencepools", FakeKubernetesApi.AlphaPool("qwen", "qwen", 8000));
        api.Upsert("apis/inference.networking.x-k8s.io/v1alpha2/namespaces/default/inferencemodels", FakeKubernetesApi.Model("chat", "chat", "Critical", "qwen", ("qwen-lora-a", 100)));
        var discovery = await DiscoveryAsync(api.BaseAddress);
        var time = new FakeTimeProvider();
        var options = Microsoft.Extensions.Options.Options.Create(new DiscoveryOptions { Mode = DiscoveryMode.Kubernetes, ReadyTimeout = TimeSpan.FromSeconds(30) });
        var check = new PoolDiscoveryHealthCheck(discovery, options, time, NullLogger<PoolDiscoveryHealthCheck>.Instance);
        var context = new Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext();

        // Not listed yet (discovery not running): not ready, until the timeout lets the service in anyway.
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, (await check.CheckHealthAsync(context)).Status);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, (await check.CheckHealthAsync(context)).Status);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Degraded, (await check.CheckHealthAsync(context)).Status);

        // Once pools and models are listed: ready.
        using var stop = new CancellationTokenSource();
        var run = discovery.RunAsync(stop.Token);
        var fresh = new PoolDiscoveryHealthCheck(discovery, options, new FakeTimeProvider(), NullLogger<PoolDiscoveryHealthCheck>.Instance);
        await Poll.UntilAsync(() => fresh.CheckHealthAsync(context).Result.Status == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, "ready after the first list");
        Assert.NotNull(discovery.Current.Models.SingleOrDefault(m => m.ModelName == "chat"));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task KubernetesDiscovery_ApiUnreachable_ExtProcIsNotReady()
    {
        // Nothing listens on a port just released: every list fails, the discovery never syncs.
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var discovery = await DiscoveryAsync(new Uri($"http://127.0.0.1:{port}/"));
        var time = new FakeTimeProvider();
        await using var host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:Pool"] = "qwen" },
            s => s.AddSingleton<IPoolDiscovery>(discovery).AddSingleton<TimeProvider>(time));
        using var http = new HttpClient();

        using var ready = await http.GetAsync(new Uri(host.HttpAddress, "/healthz/ready"));
        using var live = await http.GetAsync(new Uri(host.HttpAddress, "/healthz/live"));

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, live.StatusCode);

        // As the reference picker: without a sync it stays not ready, however long (Discovery:ReadyTimeout opts out).
        time.Advance(TimeSpan.FromHours(1));
        using var later = await http.GetAsync(new Uri(host.HttpAddress, "/healthz/ready"));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, later.StatusCode);

        // The same host without Kubernetes discovery is ready: the 503 above is the discovery gate.
        await using var plain = await ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:Pool"] = "qwen" });
        using var plainReady = await http.GetAsync(new Uri(plain.HttpAddress, "/healthz/ready"));
        Assert.Equal(System.Net.HttpStatusCode.OK, plainReady.StatusCode);
    }
}
