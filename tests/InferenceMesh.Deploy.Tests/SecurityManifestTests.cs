using System.Text.Json.Nodes;
using InferenceMesh.Contracts;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>Least privilege in the manifests: each service admits traffic only from the peers that call it
/// (NetworkPolicy), and every shipped gateway strips client-supplied <c>x-gateway-*</c> headers before ext-proc sees them.
/// The dry-run apply of the overlays (KubectlDryRunTests) covers the policies as API objects.</summary>
public sealed class SecurityManifestTests
{
    /// <summary>The headers the picker reads or the proxy routes on, which only the gateway and the picker may set.</summary>
    private static readonly string[] GatewayHeaders =
    [
        HeaderNames.InferenceObjective,
        HeaderNames.ModelNameRewrite,
        HeaderNames.FairnessId,
        HeaderNames.DestinationEndpoint,
        HeaderNames.DestinationEndpointSubset,
    ];

    /// <summary>Dapr's sidecar-to-sidecar port (service invocation arrives there, not on the app port).</summary>
    private const int DaprInternalPort = 50002;

    public static TheoryData<string> Overlays() => [.. Rendered.Overlays];

    private static JsonObject PolicyFor(IReadOnlyList<YamlDoc> docs, string appId)
    {
        var selecting = docs.OfKind("NetworkPolicy")
            .Where(p => p.Obj("spec").Obj("podSelector").Obj("matchLabels").Str("app.kubernetes.io/name") == appId)
            .ToList();
        return Assert.Single(selecting);
    }

    /// <summary>Each ingress rule as (port, sources), a source being "namespace-labels | pod-labels".</summary>
    private static List<(string Port, List<string> Sources)> Rules(JsonObject policy)
    {
        var rules = new List<(string, List<string>)>();
        foreach (var rule in policy.Obj("spec").Arr("ingress").Objects())
        {
            // A rule without "from" or without "ports" admits everyone, or every port: never wanted here.
            Assert.True(rule["from"] is JsonArray { Count: > 0 }, "an ingress rule without sources admits every pod");
            Assert.True(rule["ports"] is JsonArray { Count: > 0 }, "an ingress rule without ports opens every port");
            var sources = rule.Arr("from").Objects().Select(Source).ToList();
            foreach (var port in rule.Arr("ports").Objects())
                rules.Add((port["port"]!.ToString(), sources));
        }
        return rules;
    }

    private static string Source(JsonObject peer)
    {
        Assert.Null(peer["ipBlock"]);
        var ns = peer["namespaceSelector"] is JsonObject n ? Labels(n) : "(own namespace)";
        var pods = peer["podSelector"] is JsonObject p ? Labels(p) : "(any pod)";
        return ns + " | " + pods;
    }

    private static string Labels(JsonObject selector) =>
        selector["matchLabels"] is JsonObject labels && labels.Count > 0
            ? string.Join(",", labels.Select(l => $"{l.Key}={l.Value}").Order(StringComparer.Ordinal))
            : "(any)";

    private const string Prometheus = "(any) | app.kubernetes.io/name=prometheus";

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryService_IsSelectedByOneIngressPolicy_AdmittingOnlyItsCallers(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        var expected = new Dictionary<string, Dictionary<string, string[]>>
        {
            [AppIds.ExtProc] = new()
            {
                ["grpc"] =
                [
                    "kubernetes.io/metadata.name=envoy-gateway-system | gateway.envoyproxy.io/owning-gateway-name=inference-gateway,gateway.envoyproxy.io/owning-gateway-namespace=inference-mesh",
                    "(own namespace) | app.kubernetes.io/name=envoy",
                ],
                ["http"] = [Prometheus],
                ["9090"] = [Prometheus],
            },
            [AppIds.Scheduler] = new() { [$"{DaprInternalPort}"] = ["(own namespace) | app.kubernetes.io/name=ext-proc"], ["http"] = [Prometheus], ["9090"] = [Prometheus] },
            [AppIds.PrefixIndex] = new() { [$"{DaprInternalPort}"] = ["(own namespace) | app.kubernetes.io/name=scheduler"], ["http"] = [Prometheus], ["9090"] = [Prometheus] },
            [AppIds.MetricsCollector] = new() { ["http"] = [Prometheus], ["9090"] = [Prometheus] },
        };
        foreach (var appId in Rendered.ServiceAppIds)
        {
            var policy = PolicyFor(docs, appId);
            Assert.Equal(["Ingress"], policy.Obj("spec").Arr("policyTypes").Strings());
            var actual = Rules(policy)
                .GroupBy(r => r.Port)
                .ToDictionary(g => g.Key, g => g.SelectMany(r => r.Sources).Order(StringComparer.Ordinal).ToArray());
            var want = expected[appId].ToDictionary(e => e.Key, e => e.Value.Order(StringComparer.Ordinal).ToArray());
            Assert.Equal(want.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            foreach (var (port, sources) in want)
                Assert.True(sources.SequenceEqual(actual[port]), $"{appId} port {port}: {string.Join("; ", actual[port])}");

            // The policy's pods are the Deployment's, and its named ports are the app container's.
            var deployment = docs.Single("Deployment", appId);
            Assert.Equal(appId, deployment.Obj("spec").Obj("template").Obj("metadata").Obj("labels").Str("app.kubernetes.io/name"));
            var named = deployment.Container(appId).Arr("ports").Objects().Select(p => p.Str("name")).ToHashSet();
            Assert.All(actual.Keys.Where(k => !int.TryParse(k, out _)), name => Assert.Contains(name, named));
        }
    }

    [Fact]
    public async Task EnvoyGateway_StripsClientGatewayHeaders_BeforeRouting()
    {
        var docs = await Rendered.Of("deploy/k8s/gateway/envoy-gateway");
        var policy = Assert.Single(docs.OfKind("ClientTrafficPolicy")).Obj("spec");
        var target = policy.Arr("targetRefs").Objects().Single();
        Assert.Equal(("Gateway", "inference-gateway"), (target.Str("kind"), target.Str("name")));
        Assert.Equal(GatewayHeaders.Order(StringComparer.Ordinal),
            policy.Obj("headers").Obj("earlyRequestHeaders").Arr("remove").Strings().Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("deploy/local/envoy.yaml")]
    [InlineData("deploy/k8s/envoy/envoy.yaml")]
    public void PlainEnvoy_StripsClientGatewayHeaders_BeforeAnyFilter(string file)
    {
        var root = Yaml.LoadFile(RepoPaths.Path(file.Split('/'))).Single().Root;
        var inference = root.Obj("static_resources").Arr("listeners").Objects().Single(l => l.Str("name") == "inference");
        var hcm = inference.Arr("filter_chains").Objects().Single().Arr("filters").Objects().Single().Obj("typed_config");
        var early = hcm.Arr("early_header_mutation_extensions").Objects().Single().Obj("typed_config");
        Assert.Equal("type.googleapis.com/envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation", early.Str("@type"));
        var removed = early.Arr("mutations").Objects().Select(m => m.Str("remove")).Order(StringComparer.Ordinal);
        Assert.Equal(GatewayHeaders.Order(StringComparer.Ordinal), removed);
    }
}
