using InferenceMesh.Contracts;
using InferenceMesh.Kubernetes;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceMesh.MetricsCollector.Tests;

public sealed class PoolFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poolfile").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Parse_ShippedLocalPoolFile_HasTheQwenPoolModelsAndFiveSimEndpoints()
    {
        var view = PoolFile.Parse(File.ReadAllText(RepoPaths.Path("deploy", "local", "pool.yaml")));

        var pool = Assert.Single(view.Pools);
        Assert.Equal("qwen", pool.Name);
        Assert.Equal(PoolAnnotations.StrategyPrefixCache, pool.Annotations[PoolAnnotations.RoutingStrategy]);
        Assert.Equal("true", pool.Annotations[PoolAnnotations.UseQueueing]);
        Assert.Equal("qwen", pool.Selector["app"]);
        Assert.Equal([8000], pool.TargetPorts);
        var qwen = view.Models.Single(m => m.ModelName == "qwen");
        Assert.Equal(Criticality.Critical, qwen.Criticality);
        var travel = view.Models.Single(m => m.ModelName == "travel-helper");
        Assert.Equal(Criticality.Standard, travel.Criticality);
        Assert.Equal("travel-helper-v1", Assert.Single(travel.TargetModels).Name);
        Assert.Equal([("batch", -10, Criticality.Sheddable), ("interactive", 10, Criticality.Critical)],
            view.Objectives.Select(o => (o.Name, o.Priority, o.Band)).Order());
        Assert.All(view.Objectives, o => Assert.Equal(["qwen"], o.PoolRefs));
        Assert.Equal(["127.0.0.1:8000", "127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003", "127.0.0.1:8004"],
            view.Endpoints.Select(e => e.Address));
        Assert.All(view.Endpoints, e => Assert.Equal("qwen", e.Pool));
    }

    [Fact]
    public void Parse_PodDocuments_AreSelectedByLabelsAndReadiness()
    {
        var yaml = """
            apiVersion: inference.networking.k8s.io/v1
            kind: InferencePool
            metadata: {name: ga}
            spec:
              selector: {matchLabels: {app: m}}
              targetPorts: [{number: 8000}, {number: "8001"}]
            ---
            apiVersion: v1
            kind: List
            items:
              - kind: Pod
                metadata: {name: a, labels: {app: m, inference.networking.k8s.io/engine-type: trtllm}}
                status: {podIP: 10.0.0.1, conditions: [{type: Ready, status: "True"}]}
              - kind: Pod
                metadata: {name: b, labels: {app: m}}
                status: {podIP: 10.0.0.2, conditions: [{type: Ready, status: "False"}]}
              - kind: Pod
                metadata: {name: c, labels: {app: other}}
                status: {podIP: 10.0.0.3, conditions: [{type: Ready, status: "True"}]}
              - kind: Pod
                metadata: {name: d, labels: {app: m}, deletionTimestamp: "2026-01-01T00:00:00Z"}
                status: {podIP: 10.0.0.4, conditions: [{type: Ready, status: "True"}]}
            ---
            """;
        var view = PoolFile.Parse(yaml);
        Assert.Equal(["10.0.0.1:8000", "10.0.0.1:8001"], view.Endpoints.Select(e => e.Address));
        Assert.All(view.Endpoints, e => Assert.Equal("trtllm", e.Engine));
    }

    [Theory]
    [InlineData("kind: Gadget\nmetadata: {name: x}", "document 1: unsupported kind 'Gadget'")]
    [InlineData("kind: InferencePool\nmetadata: {name: p}\nspec: {selector: {app: a}}", "no valid target port")]
    [InlineData("kind: InferencePool\nmetadata: {name: p}\nspec: {targetPortNumber: 1}", "empty selector")]
    [InlineData("kind: InferenceModel\nmetadata: {name: m}\nspec: {modelName: m, criticality: Urgent, poolRef: {name: p}}", "unknown criticality 'Urgent'")]
    [InlineData("kind: InferenceModel\nmetadata: {name: m}\nspec: {modelName: m}", "no spec.poolRef.name")]
    [InlineData("kind: LocalEndpoints\nmetadata: {name: l}\nspec: {poolRef: {name: p}, endpoints: [{address: nohost}]}", "needs an address")]
    [InlineData("kind: InferenceObjective\nmetadata: {name: o}\nspec: {priority: high, poolRef: {name: p}}", "document 1: InferenceObjective o has spec.priority 'high', which is not an integer")]
    [InlineData("kind: InferenceObjective\nmetadata: {name: o}\nspec: {priority: 1.5, poolRef: {name: p}}", "spec.priority '1.5', which is not an integer")]
    [InlineData("kind: InferenceObjective\nmetadata: {name: o}\nspec: {priority: [1], poolRef: {name: p}}", "spec.priority '[1]', which is not an integer")]
    [InlineData("kind: InferenceObjective\nmetadata: {name: o}\nspec: {priority: 1}", "InferenceObjective o has no spec.poolRef.name")]
    [InlineData("kind: InferenceObjective\nmetadata: {name: o}\nspec: {poolSelector: {matchLabels: {a: b}}}", "spec.poolSelector, which is not supported")]
    [InlineData("kind: InferenceObjective\nmetadata: {name: o}\nspec: {poolRef: {group: gateway.networking.k8s.io, name: p}}", "spec.poolRef.group 'gateway.networking.k8s.io'")]
    [InlineData("kind: InferenceObjective\nmetadata: {name: o}\nspec: {poolRefs: [{name: p}, {kind: Service, name: s}]}", "spec.poolRefs[1].kind 'Service'")]
    [InlineData("kind: InferenceObjective\nmetadata: {name: o}", "InferenceObjective o has no spec")]
    [InlineData("kind: InferencePool\n  bad: [indent", "invalid YAML at line")]
    [InlineData("- just\n- a list", "document 1 is not a mapping")]
    [InlineData("kind: Pod\nmetadata: {name: p, labels: {version: 1}}", "document 1: invalid Pod")]
    [InlineData("", "no YAML document")]
    [InlineData("\n---\n", "no YAML document")]
    public void Parse_InvalidFile_ThrowsNamingTheProblem(string yaml, string expected)
    {
        var ex = Assert.Throws<PoolFileException>(() => PoolFile.Parse(yaml));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InferenceObjectives_PriorityDefaultsToZero_BandsFollowTheSign_AndOtherPoolsAreDropped()
    {
        var yaml = """
            kind: InferencePool
            metadata: {name: p}
            spec: {selector: {app: a}, targetPortNumber: 8000}
            ---
            kind: InferenceObjective
            metadata: {name: plain}
            spec: {poolRef: {name: p}}
            ---
            kind: InferenceObjective
            metadata: {name: nulled}
            spec: {priority: null, poolRef: {group: inference.networking.x-k8s.io, kind: InferencePool, name: p}}
            ---
            kind: InferenceObjective
            metadata: {name: urgent}
            spec: {priority: 1, poolRef: {name: p}}
            ---
            kind: InferenceObjective
            metadata: {name: huge}
            spec: {priority: "-3000000000", poolRefs: [{name: other}, {name: p}]}
            ---
            kind: InferenceObjective
            metadata: {name: elsewhere}
            spec: {priority: 5, poolRef: {name: other}}
            """;

        var view = PoolFile.Parse(yaml);

        Assert.Equal(
            [("huge", int.MinValue, Criticality.Sheddable), ("nulled", 0, Criticality.Standard), ("plain", 0, Criticality.Standard), ("urgent", 1, Criticality.Critical)],
            view.Objectives.Select(o => (o.Name, o.Priority, o.Band)).Order());
        Assert.Equal(["other", "p"], view.Objectives.Single(o => o.Name == "huge").PoolRefs);
        Assert.Empty(PoolFile.Parse(yaml, "missing").Objectives);
    }

    private const string OneEndpoint = """
        kind: InferencePool
        metadata: {name: p}
        spec: {selector: {app: a}, targetPortNumber: 8000}
        ---
        kind: LocalEndpoints
        metadata: {name: l}
        spec:
          poolRef: {name: p}
          endpoints:
            - address: 127.0.0.1:9000
        """;

    [Fact]
    public async Task Discovery_FileChanges_AreReloadedAndBrokenEditsKeepTheLastGoodView()
    {
        var path = Path.Combine(_dir, "pool.yaml");
        await using var running = await WatchAsync(path);
        var discovery = running.Discovery;
        var changes = 0;
        discovery.Changed += _ => Interlocked.Increment(ref changes);

        await File.WriteAllTextAsync(path, OneEndpoint + "\n    - address: 127.0.0.1:9001\n");
        await Poll.UntilAsync(() => discovery.Current.Endpoints.Count == 2, "the edit was picked up");
        Assert.True(changes >= 1);

        await File.WriteAllTextAsync(path, "kind: Nonsense\n");
        // The write is not atomic: the watcher may first see a truncated (empty) file, which is an error of its own.
        await Poll.UntilAsync(
            () => discovery.LastError?.Contains("unsupported kind", StringComparison.Ordinal) == true, "the broken edit was noticed");
        Assert.Equal(2, discovery.Current.Endpoints.Count);

        await File.WriteAllTextAsync(path, OneEndpoint);
        await Poll.UntilAsync(() => discovery.Current.Endpoints.Count == 1 && discovery.LastError is null, "the fix was loaded");
    }

    [Fact]
    public async Task Discovery_EmptiedFile_KeepsTheLastGoodView()
    {
        // What a watcher sees between an editor's truncate and its write: an empty file must not drop every endpoint.
        var path = Path.Combine(_dir, "pool.yaml");
        await using var running = await WatchAsync(path);
        var discovery = running.Discovery;

        await File.WriteAllTextAsync(path, "");
        await Poll.UntilAsync(() => discovery.LastError?.Contains("no YAML document", StringComparison.Ordinal) == true, "the empty file was noticed");
        Assert.Single(discovery.Current.Endpoints);
    }

    /// <summary>Writes <see cref="OneEndpoint"/> to <paramref name="path"/> and watches it (50 ms polling) until the first load.</summary>
    private static async Task<RunningDiscovery> WatchAsync(string path)
    {
        await File.WriteAllTextAsync(path, OneEndpoint);
        var running = new RunningDiscovery(new PoolFileDiscovery(path, null, NullLogger<PoolFileDiscovery>.Instance, TimeSpan.FromMilliseconds(50)));
        try
        {
            await Poll.UntilAsync(() => running.Discovery.Current.Endpoints.Count == 1, "the first load");
            return running;
        }
        catch
        {
            await running.DisposeAsync();
            throw;
        }
    }

    private sealed class RunningDiscovery : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public RunningDiscovery(PoolFileDiscovery discovery)
        {
            Discovery = discovery;
            _run = Task.Run(() => discovery.RunAsync(_stop.Token));
        }

        public PoolFileDiscovery Discovery { get; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run;
            _stop.Dispose();
            Discovery.Dispose();
        }
    }

    [Fact]
    public void Discovery_PoolFilter_KeepsOnlyThatPoolAndItsModels()
    {
        var yaml = File.ReadAllText(RepoPaths.Path("deploy", "local", "pool.yaml"));
        var view = PoolFile.Parse(yaml, "missing");
        Assert.Empty(view.Pools);
        Assert.Empty(view.Models);
        Assert.Empty(view.Objectives);
        Assert.Empty(view.Endpoints);
    }
}
