using InferenceMesh.Contracts;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>The seeds' routes by model (deploy/k8s/examples/by-model and deploy/local/envoy-by-model.yaml): the body-based
/// router runs before route selection and the routes match on the header it sets.</summary>
public sealed class ByModelRoutingTests
{
    private const string Dir = "deploy/k8s/examples/by-model";
    private const string Header = "X-Gateway-Model-Name";

    [Fact]
    public async Task HttpRoute_MatchesTheSeedsHeaderRules_ToInferencePools_WithLongTimeouts()
    {
        var docs = await Rendered.Of(Dir);
        var spec = docs.Single("HTTPRoute", "llm-route-by-model").Obj("spec");
        Assert.Equal("llm-gw", spec.Arr("parentRefs").Objects().Single().Str("sectionName"));
        var rules = spec.Arr("rules").Objects().ToList();
        var matches = rules.Select(r => r.Arr("matches").Objects().Single().Arr("headers").Objects().Single())
            .Select(h => (h.Str("type"), h.Str("name"), h.Str("value"))).ToList();
        Assert.Equal([("Exact", Header, "qwen"), ("RegularExpression", Header, "travel-helper.*")], matches);
        foreach (var rule in rules)
        {
            var backend = rule.Arr("backendRefs").Objects().Single();
            Assert.Equal(("inference.networking.k8s.io", "InferencePool"), (backend.Str("group"), backend.Str("kind")));
            Assert.Equal(("24h", "1h"), (rule.Obj("timeouts").Str("request"), rule.Obj("timeouts").Str("backendRequest")));
        }
        var policy = docs.Single("BackendTrafficPolicy", "llm-backends-by-model").Obj("spec");
        Assert.Equal("llm-route-by-model", policy.Arr("targetRefs").Objects().Single().Str("name"));
        Assert.Equal("1h", policy.Obj("timeout").Obj("http").Str("requestTimeout"));
    }

    [Fact]
    public async Task BodyRouter_IsChainedOnTheListener_OverTlsToItsOwnPort_InBodyRoutingMode()
    {
        var docs = await Rendered.Of(Dir);
        var spec = docs.Single("EnvoyExtensionPolicy", "body-based-router").Obj("spec");
        var target = spec.Arr("targetRefs").Objects().Single();
        Assert.Equal(("Gateway", "inference-gateway", "llm-gw"), (target.Str("kind"), target.Str("name"), target.Str("sectionName")));
        var extProc = spec.Arr("extProc").Objects().Single();
        Assert.Equal("FullDuplexStreamed", extProc.Obj("processingMode").Obj("request").Str("body"));
        Assert.Null(extProc.Obj("processingMode")["response"]);
        // The router serves TLS with a self-signed certificate by default: a Backend originates TLS to the Service port, unverified.
        var backendRef = extProc.Arr("backendRefs").Objects().Single();
        Assert.Equal(("gateway.envoyproxy.io", "Backend"), (backendRef.Str("group"), backendRef.Str("kind")));
        var backend = docs.Single("Backend", backendRef.Str("name")!).Obj("spec");
        Assert.Equal("true", backend.Obj("tls").Str("insecureSkipVerify"));
        var fqdn = backend.Arr("endpoints").Objects().Single().Obj("fqdn");
        Assert.Equal("body-based-router.inference-mesh.svc.cluster.local", fqdn.Str("hostname"));
        var port = docs.Single("Service", "body-based-router").Obj("spec").Arr("ports").Objects().Single(p => p["port"].Int() == fqdn["port"].Int());

        var container = docs.Single("Deployment", "body-based-router").Container("body-based-router");
        var env = container.Arr("env").Objects().ToDictionary(e => e.Str("name")!, e => e.Str("value"));
        Assert.Equal("true", env["BodyRouting__Enabled"]);
        Assert.False(env.ContainsKey("BodyRouting__SecureServing"));
        var grpcPort = container.Arr("ports").Objects().Single(p => p.Str("name") == port.Str("targetPort"))["containerPort"].Int();
        Assert.Equal(grpcPort, env["BodyRouting__GrpcPort"].Int());
        // kubelet's gRPC probe speaks no TLS: both probes ask the plaintext HTTP port.
        Assert.Equal("/healthz/live", container.Obj("livenessProbe").Obj("httpGet").Str("path"));
        Assert.Equal("/healthz/ready", container.Obj("readinessProbe").Obj("httpGet").Str("path"));
    }

    [Fact]
    public void LocalEnvoy_RunsTheBodyRouterBeforeThePicker_AndOverridesThePickerPerRoute()
    {
        var root = Yaml.LoadFile(RepoPaths.Path("deploy", "local", "envoy-by-model.yaml")).Single().Root;
        var hcm = root.Obj("static_resources").Arr("listeners").Objects().Single().Arr("filter_chains").Objects().Single()
            .Arr("filters").Objects().Single().Obj("typed_config");
        var filters = hcm.Arr("http_filters").Objects().Select(f => f.Str("name")).ToList();
        Assert.Equal(["body-based-router", "endpoint-picker", "envoy.filters.http.router"], filters);
        var clusters = root.Obj("static_resources").Arr("clusters").Objects().Select(c => c.Str("name")).ToHashSet();
        // The router and the pickers serve TLS by default: every ext_proc cluster originates it (ALPN h2).
        foreach (var cluster in root.Obj("static_resources").Arr("clusters").Objects().Where(c => c.Str("name") != "original_destination_cluster"))
        {
            Assert.Equal("envoy.transport_sockets.tls", cluster.Obj("transport_socket").Str("name"));
            Assert.Equal("h2", Assert.Single(cluster.Obj("transport_socket").Obj("typed_config").Obj("common_tls_context").Arr("alpn_protocols").Strings()));
        }
        var routes = hcm.Obj("route_config").Arr("virtual_hosts").Objects().Single().Arr("routes").Objects().ToList();
        var overrides = routes.Where(r => r["typed_per_filter_config"] is not null)
            .Select(r => r.Obj("typed_per_filter_config").Obj("endpoint-picker").Obj("overrides").Obj("grpc_service").Obj("envoy_grpc").Str("cluster_name"))
            .ToList();
        Assert.Equal(2, overrides.Distinct().Count());
        Assert.All(overrides, c => Assert.Contains(c, clusters));
        Assert.All(routes.Take(2), r => Assert.Equal("x-gateway-model-name", r.Obj("match").Arr("headers").Objects().Single().Str("name")));
    }

    [Fact]
    public async Task SeedsPoolAndServers_CarryTheSeedsSettings_AndNoUnknownAnnotation()
    {
        var docs = await Rendered.Of("deploy/k8s/examples");
        foreach (var pool in docs.OfKind("InferencePool"))
        {
            var annotations = pool.Obj("metadata").Obj("annotations").ToDictionary(a => a.Key, a => a.Value!.Str(), StringComparer.Ordinal);
            Assert.Equal("true", annotations[PoolAnnotations.UseSchedulerV2]);
            Assert.Empty(PoolAnnotations.UnknownUnderPrefixes(annotations));
        }
        var args = docs.Single("Deployment", "qwen").Container("vllm").Arr("args").Strings().ToList();
        Assert.Contains("--served-model-name=qwen", args);
        Assert.Contains("--max-loras=2", args);
        Assert.Contains("--max-cpu-loras=4", args);
        var adapters = args.SkipWhile(a => a != "--lora-modules").Skip(1).TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => a.Split('=')[0]);
        Assert.Equal(["travel-helper-v1", "travel-helper-v2"], adapters);
    }
}
