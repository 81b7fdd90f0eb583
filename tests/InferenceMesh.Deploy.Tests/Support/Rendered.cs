using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using InferenceMesh.Contracts;

namespace InferenceMesh.Deploy.Tests.Support;

/// <summary>Rendered kustomizations, each rendered once per test run and shared by every test class.</summary>
internal static class Rendered
{
    /// <summary>The overlays a platform team applies.</summary>
    public static readonly IReadOnlyList<string> Overlays = ["deploy/k8s/overlays/dev", "deploy/k8s/overlays/ha"];

    /// <summary>Every kustomization that can be applied or rendered on its own.</summary>
    public static readonly IReadOnlyList<string> Kustomizations =
    [
        "deploy/k8s/cluster",
        "deploy/k8s/base",
        "deploy/k8s/examples",
        "deploy/k8s/gateway/envoy-gateway",
        "deploy/k8s/envoy",
        "deploy/k8s/observability",
        "deploy/k8s/overlays/dev",
        "deploy/k8s/overlays/ha",
    ];

    public static readonly IReadOnlyList<string> ServiceAppIds =
        [AppIds.MetricsCollector, AppIds.PrefixIndex, AppIds.Scheduler, AppIds.ExtProc];

    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Cache = new();

    /// <summary>The rendered YAML text, as kubectl would send it.</summary>
    public static Task<string> TextOf(string dir) =>
        Cache.GetOrAdd(dir, d => new Lazy<Task<string>>(() => Kubectl.KustomizeAsync(d))).Value;

    public static async Task<IReadOnlyList<YamlDoc>> Of(string dir) => Yaml.Load(await TextOf(dir), $"kustomize {dir}");

    public static IEnumerable<JsonObject> OfKind(this IReadOnlyList<YamlDoc> docs, string kind) =>
        docs.Where(d => d.Kind == kind).Select(d => d.Root);

    public static JsonObject Single(this IReadOnlyList<YamlDoc> docs, string kind, string name)
    {
        var matches = docs.Where(d => d.Kind == kind && d.Name == name).ToList();
        Assert.True(matches.Count == 1, $"expected exactly one {kind}/{name}, found {matches.Count}");
        return matches[0].Root;
    }

    public static JsonObject Container(this JsonObject deployment, string name) =>
        deployment.Obj("spec").Obj("template").Obj("spec").Arr("containers").Objects().Single(c => c.Str("name") == name);

    public static JsonObject PodSpec(this JsonObject deployment) => deployment.Obj("spec").Obj("template").Obj("spec");

    public static JsonObject PodAnnotations(this JsonObject deployment) =>
        deployment.Obj("spec").Obj("template").Obj("metadata").Obj("annotations");
}
