using InferenceMesh.Contracts;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>The Qwen example matches the seeds and our own contracts (annotations, pool name, ports, objective bands).</summary>
public sealed class ExampleTests
{
    [Fact]
    public async Task QwenPool_InBothApiVersions_SelectsTheModelServerPods_AndPointsAtExtProc()
    {
        var docs = await Rendered.Of("deploy/k8s/examples");
        var podLabels = docs.Single("Deployment", "qwen").Obj("spec").Obj("template").Obj("metadata").Obj("labels");
        var containerPort = docs.Single("Deployment", "qwen").Container("vllm").Arr("ports").Objects().Single()["containerPort"].Int();
        Assert.Equal("vllm", podLabels.Str(PoolAnnotations.EngineTypeLabel));

        var alpha = docs.Single(d => d.Kind == "InferencePool" && d.ApiVersion == "inference.networking.x-k8s.io/v1alpha2").Root;
        var ga = docs.Single(d => d.Kind == "InferencePool" && d.ApiVersion == "inference.networking.k8s.io/v1").Root;
        foreach (var (label, value) in alpha.Obj("spec").Obj("selector"))
            Assert.Equal(value!.Str(), podLabels.Str(label));
        foreach (var (label, value) in ga.Obj("spec").Obj("selector").Obj("matchLabels"))
            Assert.Equal(value!.Str(), podLabels.Str(label));
        Assert.Equal(containerPort, alpha.Obj("spec")["targetPortNumber"].Int());
        Assert.Equal(containerPort, ga.Obj("spec").Arr("targetPorts").Objects().Single()["number"].Int());
        Assert.Equal((AppIds.ExtProc, DefaultPorts.ExtProcGrpc), (alpha.Obj("spec").Obj("extensionRef").Str("name"), alpha.Obj("spec").Obj("extensionRef")["portNumber"].Int()));
        Assert.Equal((AppIds.ExtProc, DefaultPorts.ExtProcGrpc), (ga.Obj("spec").Obj("endpointPickerRef").Str("name"), ga.Obj("spec").Obj("endpointPickerRef").Obj("port")["number"].Int()));
    }

    [Theory]
    [InlineData("deploy/k8s/examples", PoolAnnotations.StrategyPrefixCache)]
    [InlineData("deploy/k8s/overlays/ha", PoolAnnotations.StrategyPrefixCache)]
    [InlineData("deploy/k8s/overlays/dev", PoolAnnotations.StrategyDefault)]
    public async Task QwenPool_CarriesTheRoutingStrategy_AndEnablesQueueing(string dir, string strategy)
    {
        var pools = (await Rendered.Of(dir)).OfKind("InferencePool").ToList();
        Assert.Equal(2, pools.Count);
        foreach (var pool in pools)
        {
            var annotations = pool.Obj("metadata").Obj("annotations");
            Assert.Equal(strategy, annotations.Str(PoolAnnotations.RoutingStrategy));
            Assert.Equal("true", annotations.Str(PoolAnnotations.UseQueueing));
        }
    }

    [Fact]
    public async Task Models_AreQwenCritical_AndTravelHelperStandardOnItsLoraAdapter()
    {
        var docs = await Rendered.Of("deploy/k8s/examples");
        var qwen = docs.Single("InferenceModel", "qwen").Obj("spec");
        Assert.Equal(("qwen", nameof(Criticality.Critical)), (qwen.Str("modelName"), qwen.Str("criticality")));
        var travel = docs.Single("InferenceModel", "travel-helper").Obj("spec");
        Assert.Equal(("travel-helper", nameof(Criticality.Standard)), (travel.Str("modelName"), travel.Str("criticality")));
        var adapter = travel.Arr("targetModels").Objects().Single().Str("name");
        // The adapter must be one the model servers actually load.
        var args = string.Join(' ', docs.Single("Deployment", "qwen").Container("vllm").Arr("args").Strings());
        Assert.Contains($"{adapter}=", args, StringComparison.Ordinal);
        foreach (var model in docs.OfKind("InferenceModel"))
            Assert.Equal("qwen-pool", model.Obj("spec").Obj("poolRef").Str("name"));
    }

    [Fact]
    public async Task Collector_WatchesTheExamplePool()
    {
        var docs = await Rendered.Of("deploy/k8s/overlays/ha");
        var env = docs.Single("Deployment", AppIds.MetricsCollector).Container(AppIds.MetricsCollector).Arr("env").Objects().ToList();
        var pool = env.Single(e => e.Str("name") == "Collector__Pool").Str("value");
        Assert.Contains(docs.OfKind("InferencePool"), p => p.Obj("metadata").Str("name") == pool);
        Assert.Equal("kubernetes", env.Single(e => e.Str("name") == "Collector__Discovery").Str("value"));
    }

    [Fact]
    public async Task ExampleObjectives_ReferToQwenPool_OneAboveAndOneBelowZero()
    {
        var docs = await Rendered.Of("deploy/k8s/examples");
        var pools = docs.OfKind("InferencePool").Select(p => p.Obj("metadata").Str("name")).ToHashSet(StringComparer.Ordinal);
        var bands = new Dictionary<string, Criticality>(StringComparer.Ordinal);
        foreach (var objective in docs.OfKind("InferenceObjective"))
        {
            var spec = objective.Obj("spec");
            Assert.Contains(spec.Obj("poolRef").Str("name")!, pools);
            bands[objective.Obj("metadata").Str("name")!] = InferenceObjectiveSpec.BandOf(spec["priority"].Int());
        }
        Assert.Equal(Criticality.Critical, bands["interactive"]);
        Assert.Equal(Criticality.Sheddable, bands["batch"]);
        Assert.Equal(2, bands.Count);
    }
}
