using InferenceMesh.Contracts;
using InferenceMesh.Kubernetes;
using InferenceMesh.TestSupport.KubernetesStandIn;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceMesh.MetricsCollector.Tests;

public sealed class KubernetesDiscoveryTests : IAsyncLifetime, IDisposable
{
    private const string PodsPath = "api/v1/namespaces/default/pods";
    private const string AlphaPools = "apis/inference.networking.x-k8s.io/v1alpha2/namespaces/default/inferencepools";
    private const string GaPools = "apis/inference.networking.k8s.io/v1/namespaces/default/inferencepools";
    private const string Models = "apis/inference.networking.x-k8s.io/v1alpha2/namespaces/default/inferencemodels";
    private static readonly InformerOptions FastRetry = new(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(200));

    private FakeKubernetesApi _api = null!;
    private string _tokenFile = null!;
    private readonly CancellationTokenSource _stop = new();

    public async Task InitializeAsync()
    {
        _api = await FakeKubernetesApi.StartAsync();
        _tokenFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(_tokenFile, "test-token-1\n");
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _api.DisposeAsync();
        File.Delete(_tokenFile);
    }

    public void Dispose() => _stop.Dispose();

    private k8s.Kubernetes Client() => new(KubernetesConfig.ForApiServer(_api.BaseAddress, _tokenFile));

    private (KubernetesInformer<V1Pod> Informer, Task Run) StartInformer(string? selector = null)
    {
        var informer = KubernetesInformers.Pods(Client(), "default", selector, NullLogger.Instance, FastRetry);
        return (informer, Task.Run(() => informer.RunAsync(_stop.Token)));
    }

    [Fact]
    public async Task Informer_ListThenWatch_AppliesAddedModifiedDeletedAndSendsToken()
    {
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("p1", "qwen", "10.0.0.1", ready: true));
        var (informer, _) = StartInformer("app=qwen");
        await Poll.UntilAsync(() => informer.HasSynced && _api.ActiveWatchers == 1, "the informer listed and watches");
        Assert.Single(informer.Items);
        Assert.Equal("Bearer test-token-1", _api.LastAuthorization);
        // The watch resumes from the list's resourceVersion and asks for bookmarks.
        var query = System.Web.HttpUtility.ParseQueryString(_api.LastWatchQuery!);
        Assert.Equal(("true", "true", "app=qwen", informer.ResourceVersion), (query["watch"], query["allowWatchBookmarks"], query["labelSelector"], query["resourceVersion"]));

        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("p2", "qwen", "10.0.0.2", ready: false));
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("other", "llama", "10.0.0.9", ready: true)); // filtered by the selector
        await Poll.UntilAsync(() => informer.Items.Count == 2, "p2 was added");

        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("p2", "qwen", "10.0.0.2", ready: true));
        await Poll.UntilAsync(() => InferenceResources.TryParsePod(informer.Items["default/p2"], out var p) && p.Ready, "p2 became ready");

        _api.Delete(PodsPath, "p1");
        await Poll.UntilAsync(() => !informer.Items.ContainsKey("default/p1"), "p1 was deleted");
        Assert.Equal(1, informer.ListCount);
        Assert.False(informer.Items.ContainsKey("default/other"));
    }

    [Fact]
    public async Task Informer_Bookmark_AdvancesResourceVersionWithoutChangingItems()
    {
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("p1", "qwen", "10.0.0.1", ready: true));
        var (informer, _) = StartInformer();
        await Poll.UntilAsync(() => informer.HasSynced && _api.ActiveWatchers == 1, "watching");
        var before = long.Parse(informer.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture);

        _api.Bookmark(PodsPath);
        await Poll.UntilAsync(() => long.Parse(informer.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) > before,
            "the bookmark's resourceVersion was taken");
        Assert.Single(informer.Items);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Informer_Gone_RelistsAndCatchesUpWithChangesMissedMeanwhile(bool goneAsHttpStatus)
    {
        _api.GoneAsHttpStatus = goneAsHttpStatus;
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("p1", "qwen", "10.0.0.1", ready: true));
        var (informer, _) = StartInformer();
        await Poll.UntilAsync(() => informer.HasSynced && _api.ActiveWatchers == 1, "watching");

        // History is compacted and changes happen while the watch is broken: only a relist can see them.
        _api.ExpireHistory();
        _api.Delete(PodsPath, "p1");
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("p3", "qwen", "10.0.0.3", ready: true));

        await Poll.UntilAsync(() => informer.ListCount >= 2, "the informer relisted after 410");
        await Poll.UntilAsync(() => informer.Items.ContainsKey("default/p3") && !informer.Items.ContainsKey("default/p1"),
            "the relist brought the store up to date");
    }

    [Fact]
    public async Task Informer_ServerUnreachable_RetriesUntilCancelledWithoutThrowing()
    {
        var informer = KubernetesInformers.Pods(new k8s.Kubernetes(KubernetesConfig.ForApiServer(new Uri("http://127.0.0.1:1/"))), "default", null,
            NullLogger.Instance, FastRetry);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await informer.RunAsync(cts.Token); // returns on cancellation instead of throwing
        Assert.False(informer.HasSynced);
    }

    [Fact]
    public async Task PoolDiscovery_AlphaPoolModelsAndPods_YieldsOnlyReadyPodsWithIp()
    {
        _api.Upsert(AlphaPools, FakeKubernetesApi.AlphaPool("qwen", "qwen", 8000, "PREFIX_CACHE"));
        _api.Upsert(Models, FakeKubernetesApi.Model("qwen", "qwen", "Critical", "qwen", ("qwen", 100)));
        _api.Upsert(Models, FakeKubernetesApi.Model("travel", "travel-helper", "Standard", "qwen", ("travel-helper-v1", 70), ("travel-helper-v2", 30)));
        _api.Upsert(Models, FakeKubernetesApi.Model("elsewhere", "x", "Sheddable", "another-pool", ("x", 1)));
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("ready", "qwen", "10.0.0.1", ready: true));
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("sglang", "qwen", "10.0.0.2", ready: true, engine: "sglang"));
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("not-ready", "qwen", "10.0.0.3", ready: false));
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("no-ip", "qwen", null, ready: true));
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("other-app", "llama", "10.0.0.4", ready: true));

        var discovery = new KubernetesPoolDiscovery(Client(), "default", null, NullLoggerFactory.Instance, FastRetry);
        _ = Task.Run(() => discovery.RunAsync(_stop.Token));
        await Poll.UntilAsync(() => discovery.Current.Endpoints.Count == 2 && discovery.Current.Models.Count == 2, "discovery settled");

        var view = discovery.Current;
        var pool = Assert.Single(view.Pools);
        Assert.Equal("PREFIX_CACHE", pool.Annotations[PoolAnnotations.RoutingStrategy]);
        Assert.Equal([8000], pool.TargetPorts);
        Assert.Equal(["10.0.0.1:8000", "10.0.0.2:8000"], view.Endpoints.Select(e => e.Address));
        Assert.Equal("sglang", view.Endpoints.Single(e => e.PodName == "sglang").Engine);
        Assert.Equal("vllm", view.Endpoints.Single(e => e.PodName == "ready").Engine);
        var travel = view.Models.Single(m => m.Name == "travel");
        Assert.Equal(Criticality.Standard, travel.Criticality);
        Assert.Equal([new TargetModel("travel-helper-v1", 70), new TargetModel("travel-helper-v2", 30)], travel.TargetModels);

        // Readiness and deletion flow through the watch.
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("not-ready", "qwen", "10.0.0.3", ready: true));
        await Poll.UntilAsync(() => discovery.Current.Endpoints.Count == 3, "the pod that became ready joined");
        _api.Delete(PodsPath, "ready");
        await Poll.UntilAsync(() => discovery.Current.Endpoints.All(e => e.PodName != "ready"), "the deleted pod left");
    }

    [Fact]
    public async Task PoolDiscovery_CrdVersionNotServed_CountsAsListed()
    {
        // A cluster with only the v1alpha2 CRDs: the GA InferencePool answers 404 and must not hold the view back.
        _api.NotServed(GaPools);
        _api.Upsert(AlphaPools, FakeKubernetesApi.AlphaPool("qwen", "qwen", 8000));
        _api.Upsert(Models, FakeKubernetesApi.Model("chat", "chat", "Critical", "qwen", ("qwen", 1)));

        var discovery = new KubernetesPoolDiscovery(Client(), "default", null, NullLoggerFactory.Instance, FastRetry, watchPods: false);
        Assert.False(discovery.HasSynced);
        _ = Task.Run(() => discovery.RunAsync(_stop.Token));

        await Poll.UntilAsync(() => discovery.HasSynced, "the view counts the 404 version as listed");
        Assert.Equal("chat", Assert.Single(discovery.Current.Models).Name);
        Assert.Equal(0, _api.ListCalls(PodsPath));
    }

    [Fact]
    public async Task PoolDiscovery_GaPoolWithSeveralPorts_AndPoolNameFilter()
    {
        _api.Upsert(GaPools, FakeKubernetesApi.GaPool("ga", "qwen", 8000, 8001));
        _api.Upsert(AlphaPools, FakeKubernetesApi.AlphaPool("ignored", "llama", 9000));
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("p", "qwen", "10.1.0.1", ready: true));

        var discovery = new KubernetesPoolDiscovery(Client(), "default", "ga", NullLoggerFactory.Instance, FastRetry);
        _ = Task.Run(() => discovery.RunAsync(_stop.Token));
        await Poll.UntilAsync(() => discovery.Current.Endpoints.Count == 2, "both ports discovered");
        Assert.Equal("ga", Assert.Single(discovery.Current.Pools).Name);
        Assert.Equal(["10.1.0.1:8000", "10.1.0.1:8001"], discovery.Current.Endpoints.Select(e => e.Address));

        // A selector change restarts the pod watch with the new selector.
        _api.Upsert(PodsPath, FakeKubernetesApi.Pod("q", "qwen-v2", "10.1.0.2", ready: true));
        _api.Upsert(GaPools, FakeKubernetesApi.GaPool("ga", "qwen-v2", 8000));
        await Poll.UntilAsync(() => discovery.Current.Endpoints.Count == 1 && discovery.Current.Endpoints[0].Address == "10.1.0.2:8000",
            "the new selector's pod replaced the old one");
    }
}
