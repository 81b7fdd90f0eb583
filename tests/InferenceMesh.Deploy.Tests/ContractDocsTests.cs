using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>docs/deploy.md is the contract with the code: every env var the manifests set and every metric the
/// dashboard reads must be listed there.</summary>
public sealed partial class ContractDocsTests
{
    private static readonly Lazy<string> DeployDoc = new(() => File.ReadAllText(RepoPaths.Path("docs", "deploy.md")));

    private static readonly Lazy<JsonObject> Dashboard = new(() =>
        JsonNode.Parse(File.ReadAllText(RepoPaths.Path("deploy", "k8s", "observability", "inference-mesh-dashboard.json")))!.AsObject());

    /// <summary>Metric names listed in the "Metric names" section of docs/deploy.md.</summary>
    private static HashSet<string> DocumentedMetrics()
    {
        var doc = DeployDoc.Value;
        var start = doc.IndexOf("### Metric names", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/deploy.md has no '### Metric names' section");
        var end = doc.IndexOf("\n## ", start, StringComparison.Ordinal);
        var section = end < 0 ? doc[start..] : doc[start..end];
        return MetricName().Matches(section).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
    }

    private static IEnumerable<string> DashboardExpressions()
    {
        foreach (var panel in Dashboard.Value.Arr("panels").Objects())
        {
            if (panel["targets"] is JsonArray targets)
            {
                foreach (var t in targets.Objects())
                    yield return t.Str("expr")!;
            }
        }
    }

    [Fact]
    public void Dashboard_ParsesAsGrafanaJson_WithPrometheusTargets()
    {
        var d = Dashboard.Value;
        Assert.Equal("inference-mesh", d.Str("uid"));
        var expressions = DashboardExpressions().ToList();
        Assert.True(expressions.Count >= 15, $"only {expressions.Count} queries");
        Assert.All(expressions, e => Assert.False(string.IsNullOrWhiteSpace(e)));
        Assert.Contains(d.Obj("templating").Arr("list").Objects(), v => v.Str("name") == "namespace");
        // Grafana needs unique panel ids.
        var ids = d.Arr("panels").Objects().Select(p => p["id"]!.GetValue<int>()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void Dashboard_ReferencesOnlyDocumentedMetrics()
    {
        var documented = DocumentedMetrics();
        Assert.True(documented.Count >= 14, $"metric table too small: {documented.Count}");
        var unknown = DashboardExpressions()
            .SelectMany(e => MetricName().Matches(e).Select(m => HistogramSuffix().Replace(m.Value, "")))
            .Where(m => !documented.Contains(m))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.True(unknown.Count == 0, "not in docs/deploy.md: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Dashboard_ShowsTheMeshMetricsNextToVllms()
    {
        var used = DashboardExpressions()
            .SelectMany(e => MetricName().Matches(e).Select(m => HistogramSuffix().Replace(m.Value, "")))
            .ToHashSet(StringComparer.Ordinal);
        string[] required =
        [
            "inferencemesh_scheduler_queue_length",             // queue by band
            "inferencemesh_scheduler_outcomes_total",           // admissions and rejections
            "inferencemesh_prefix_blocks_matched_total",        // prefix hit ratio
            "inferencemesh_scheduler_pick_duration_seconds",    // picker latency
            "inferencemesh_extproc_pick_duration_seconds",      // time to pick as Envoy sees it
            "vllm:num_requests_waiting",
            "vllm:kv_cache_usage_perc",
            "vllm:time_to_first_token_seconds",
        ];
        Assert.All(required, r => Assert.Contains(r, used));
        Assert.Contains(DashboardExpressions(), e => e.Contains("histogram_quantile", StringComparison.Ordinal) && e.Contains("vllm:time_to_first_token_seconds_bucket", StringComparison.Ordinal));
    }

    [Fact]
    public void MetricNameExtraction_StripsHistogramSuffixes_AndFindsVllmNames()
    {
        var found = MetricName().Matches("rate(vllm:time_to_first_token_seconds_bucket[5m]) / inferencemesh_a_b_total")
            .Select(m => HistogramSuffix().Replace(m.Value, "")).ToList();
        Assert.Equal(["vllm:time_to_first_token_seconds", "inferencemesh_a_b_total"], found);
    }

    [Theory]
    [InlineData("deploy/k8s/overlays/dev")]
    [InlineData("deploy/k8s/overlays/ha")]
    public async Task EveryConfigurationEnvVar_TheManifestsSet_IsDocumented(string overlay)
    {
        var doc = DeployDoc.Value;
        foreach (var app in Rendered.ServiceAppIds)
        {
            foreach (var env in (await Rendered.Of(overlay)).Single("Deployment", app).Container(app).Arr("env").Objects())
            {
                var name = env.Str("name")!;
                Assert.True(doc.Contains($"`{name}`", StringComparison.Ordinal), $"{app}: env {name} is not listed in docs/deploy.md");
            }
        }
    }

    [Fact]
    public async Task PodMonitors_ScrapeTheMeshAndTheModelServers_KeepingTheMeshEndpointLabel()
    {
        var docs = await Rendered.Of("deploy/k8s/observability");
        var mesh = docs.Single("PodMonitor", "inference-mesh").Obj("spec");
        var selected = mesh.Obj("selector").Arr("matchExpressions").Objects().Single().Arr("values").Strings();
        Assert.Equal(Rendered.ServiceAppIds.Order(StringComparer.Ordinal), selected.Order(StringComparer.Ordinal));
        var endpoint = mesh.Arr("podMetricsEndpoints").Objects().Single();
        Assert.Equal(("http", "/metrics", "true"), (endpoint.Str("port"), endpoint.Str("path"), endpoint.Str("honorLabels")));
        var vllm = docs.Single("PodMonitor", "qwen-vllm").Obj("spec");
        Assert.Equal("qwen", vllm.Obj("selector").Obj("matchLabels").Str("app"));
        var dashboard = docs.Single("ConfigMap", "inference-mesh-dashboard");
        Assert.Equal("1", dashboard.Obj("metadata").Obj("labels").Str("grafana_dashboard"));
        Assert.Equal(Dashboard.Value.ToJsonString(), JsonNode.Parse(dashboard.Obj("data").Str("inference-mesh-dashboard.json")!)!.ToJsonString());
    }

    [Theory]
    [InlineData("deploy/k8s/overlays/dev")]
    [InlineData("deploy/k8s/overlays/ha")]
    public async Task EverySecretTheManifestsReference_IsCreatedByTheDocumentedCommands(string overlay)
    {
        var needed = new SortedSet<(string Secret, string Key)>();
        var docs = (await Rendered.Of(overlay)).ToList();
        docs.AddRange(Yaml.LoadFile(RepoPaths.Path("deploy", "k8s", "dapr-alternatives", "statestore-postgresql.yaml")));
        foreach (var doc in docs)
        {
            Collect(doc.Root);
            if (doc.Kind == "Deployment" && doc.Root["spec"]?["template"]?["metadata"]?["annotations"] is JsonObject annotations)
            {
                foreach (var (annotation, value) in annotations)
                {
                    if (annotation.EndsWith("-token-secret", StringComparison.Ordinal))
                        needed.Add((value!.Str(), "token")); // Dapr reads the key "token"
                }
            }
        }
        Assert.True(needed.Count >= 5, string.Join(", ", needed));
        var text = DeployDoc.Value;
        foreach (var (secret, key) in needed)
        {
            var create = text.IndexOf($"create secret generic {secret}", StringComparison.Ordinal);
            Assert.True(create >= 0, $"docs/deploy.md never creates secret {secret}");
            // One command: up to the first line that does not end with a continuation backslash.
            var end = create;
            while (text.IndexOf('\n', end) is var nl && nl > 0 && text[nl - 1] == '\\')
                end = nl + 1;
            var command = text[create..text.IndexOf('\n', end)];
            Assert.Contains($"--from-literal={key}=", command, StringComparison.Ordinal);
        }

        void Collect(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    if (o["secretKeyRef"] is JsonObject r)
                        needed.Add((r.Str("name")!, r.Str("key")!));
                    foreach (var (_, child) in o)
                        Collect(child);
                    break;
                case JsonArray a:
                    foreach (var child in a)
                        Collect(child);
                    break;
            }
        }
    }

    [Fact]
    public void Docs_ExplainTheKustomizeChoice_AndTheStateStoreSwap()
    {
        var doc = DeployDoc.Value;
        Assert.Contains("## Why kustomize and not Helm", doc, StringComparison.Ordinal);
        Assert.Contains("## Swapping the state store (Redis → PostgreSQL)", doc, StringComparison.Ordinal);
        Assert.Contains("dapr-alternatives/statestore-postgresql.yaml", doc, StringComparison.Ordinal);
        Assert.Contains("kubectl apply -k deploy/k8s/overlays/dev", doc, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\b(inferencemesh_[a-z0-9_]+|vllm:[a-z0-9_:]+)")]
    private static partial Regex MetricName();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramSuffix();
}
