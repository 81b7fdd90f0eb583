using System.Text.Json.Nodes;
using InferenceMesh.Contracts;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>Envoy Gateway and plain Envoy send every inference request through ext-proc and route it to the
/// endpoint ext-proc names, with the protocol settings the Endpoint Picker contract requires.</summary>
public sealed class GatewayTests
{
    public static TheoryData<string> Overlays() => [.. Rendered.Overlays];

    [Fact]
    public async Task Gateway_HasAPlainListenerOn8080_AndAnInferenceListenerOn8081RoutedToThePool()
    {
        var docs = await Rendered.Of("deploy/k8s/gateway/envoy-gateway");
        var listeners = docs.Single("Gateway", "inference-gateway").Obj("spec").Arr("listeners").Objects()
            .ToDictionary(l => l.Str("name")!, l => l["port"].Int());
        Assert.Equal(new Dictionary<string, int> { ["http"] = 8080, ["llm-gw"] = 8081 }, listeners);
        var llm = docs.Single("HTTPRoute", "llm-route").Obj("spec");
        Assert.Equal("llm-gw", llm.Arr("parentRefs").Objects().Single().Str("sectionName"));
        var backend = llm.Arr("rules").Objects().Single().Arr("backendRefs").Objects().Single();
        Assert.Equal(("inference.networking.k8s.io", "InferencePool", "qwen-pool"), (backend.Str("group"), backend.Str("kind"), backend.Str("name")));
        var plain = docs.Single("HTTPRoute", "plain-route").Obj("spec");
        Assert.Equal("http", plain.Arr("parentRefs").Objects().Single().Str("sectionName"));
        Assert.Equal("inference-mesh", docs.Single("Gateway", "inference-gateway").Obj("spec").Str("gatewayClassName"));
        Assert.Equal("gateway.envoyproxy.io/gatewayclass-controller", docs.Single("GatewayClass", "inference-mesh").Obj("spec").Str("controllerName"));
    }

    [Fact]
    public async Task BackendTrafficPolicy_SetsTimeoutsOnBothRoutes_AndNoRetries()
    {
        var docs = await Rendered.Of("deploy/k8s/gateway/envoy-gateway");
        var policy = Assert.Single(docs.OfKind("BackendTrafficPolicy")).Obj("spec");
        var targets = policy.Arr("targetRefs").Objects().Select(t => t.Str("name")).Order(StringComparer.Ordinal);
        Assert.Equal(["llm-route", "plain-route"], targets);
        Assert.False(string.IsNullOrEmpty(policy.Obj("timeout").Obj("tcp").Str("connectTimeout")));
        Assert.Null(policy["retry"]);
        foreach (var route in docs.OfKind("HTTPRoute"))
            Assert.False(string.IsNullOrEmpty(route.Obj("spec").Arr("rules").Objects().Single().Obj("timeouts").Str("request")));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EnvoyExtensionPolicy_AttachesExtProc_FullDuplexBothWays_FailClosed_WithEnvoyLbWritable(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        var spec = docs.Single("EnvoyExtensionPolicy", "ext-proc").Obj("spec");
        Assert.Equal("llm-route", spec.Arr("targetRefs").Objects().Single().Str("name"));
        var extProc = spec.Arr("extProc").Objects().Single();
        var backend = extProc.Arr("backendRefs").Objects().Single();
        // The picker serves TLS with a self-signed certificate: a Backend originates TLS to the Service port, unverified.
        Assert.Equal(("gateway.envoyproxy.io", "Backend", "ext-proc"), (backend.Str("group"), backend.Str("kind"), backend.Str("name")));
        var target = docs.Single("Backend", "ext-proc").Obj("spec");
        var fqdn = target.Arr("endpoints").Objects().Single().Obj("fqdn");
        Assert.Equal(("ext-proc.inference-mesh.svc.cluster.local", DefaultPorts.ExtProcGrpc), (fqdn.Str("hostname"), fqdn["port"].Int()));
        Assert.Equal("true", target.Obj("tls").Str("insecureSkipVerify"));
        Assert.Equal("FullDuplexStreamed", extProc.Obj("processingMode").Obj("request").Str("body"));
        Assert.Equal("FullDuplexStreamed", extProc.Obj("processingMode").Obj("response").Str("body"));
        Assert.Equal("false", extProc.Str("failOpen")); // Envoy Gateway rejects FullDuplexStreamed with failOpen
        Assert.Contains(HeaderNames.EnvoyLbNamespace, extProc.Obj("metadata").Arr("writableNamespaces").Strings());
        // The HTTPRoute the policy targets must exist next to it.
        docs.Single("HTTPRoute", "llm-route");
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EnvoyPatchPolicy_RoutesTheInferenceListener_ToAnOriginalDstClusterOnTheDestinationHeader(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        var spec = docs.Single("EnvoyPatchPolicy", "original-destination").Obj("spec");
        Assert.Equal(("Gateway", "inference-gateway"), (spec.Obj("targetRef").Str("kind"), spec.Obj("targetRef").Str("name")));
        var patches = spec.Arr("jsonPatches").Objects().ToList();
        var cluster = patches.Single(p => p.Str("type")!.EndsWith("envoy.config.cluster.v3.Cluster", StringComparison.Ordinal)).Obj("operation").Obj("value");
        Assert.Equal("ORIGINAL_DST", cluster.Str("type"));
        Assert.Equal("CLUSTER_PROVIDED", cluster.Str("lb_policy"));
        Assert.Equal("true", cluster.Obj("original_dst_lb_config").Str("use_http_header"));
        Assert.Equal(HeaderNames.DestinationEndpoint, cluster.Obj("original_dst_lb_config").Str("http_header_name"));
        // Envoy Gateway names route configurations <namespace>/<gateway>/<listener>.
        var route = patches.Single(p => p.Str("type")!.EndsWith("envoy.config.route.v3.RouteConfiguration", StringComparison.Ordinal));
        var gateway = docs.Single("Gateway", "inference-gateway");
        var inferenceListener = gateway.Obj("spec").Arr("listeners").Objects().Single(l => l["port"].Int() == 8081).Str("name");
        Assert.Equal($"{gateway.Obj("metadata").Str("namespace")}/inference-gateway/{inferenceListener}", route.Str("name"));
        Assert.Equal(cluster.Str("name"), route.Obj("operation").Str("value"));
        // Stock Envoy Gateway must be able to resolve the route's backend before the patch swaps its cluster.
        var backend = docs.Single("HTTPRoute", "llm-route").Obj("spec").Arr("rules").Objects().Single().Arr("backendRefs").Objects().Single();
        Assert.Null(backend["kind"]);
        docs.Single("Service", backend.Str("name")!);
    }

    [Fact]
    public void PlainEnvoy_ProcessesWithFullDuplexExtProc_AndRoutesOnTheDestinationHeader()
    {
        var root = Yaml.LoadFile(RepoPaths.Path("deploy", "k8s", "envoy", "envoy.yaml")).Single().Root;
        var resources = root.Obj("static_resources");
        var inference = resources.Arr("listeners").Objects().Single(l => l.Str("name") == "inference");
        var hcm = inference.Arr("filter_chains").Objects().Single().Arr("filters").Objects().Single().Obj("typed_config");
        var filters = hcm.Arr("http_filters").Objects().ToList();
        Assert.Equal("envoy.filters.http.ext_proc", filters[0].Str("name"));
        Assert.Equal("envoy.filters.http.router", filters[^1].Str("name"));
        var extProc = filters[0].Obj("typed_config");
        var mode = extProc.Obj("processing_mode");
        Assert.Equal("FULL_DUPLEX_STREAMED", mode.Str("request_body_mode"));
        Assert.Equal("FULL_DUPLEX_STREAMED", mode.Str("response_body_mode"));
        Assert.Equal("SEND", mode.Str("request_trailer_mode"));
        Assert.Equal("SEND", mode.Str("response_trailer_mode"));
        Assert.Equal("false", extProc.Str("failure_mode_allow"));
        Assert.Contains(HeaderNames.EnvoyLbNamespace, extProc.Obj("metadata_options").Obj("receiving_namespaces").Arr("untyped").Strings());
        var extProcCluster = extProc.Obj("grpc_service").Obj("envoy_grpc").Str("cluster_name");

        var clusters = resources.Arr("clusters").Objects().ToDictionary(c => c.Str("name")!);
        var ep = clusters[extProcCluster!];
        Assert.NotNull(ep.Obj("typed_extension_protocol_options").Obj("envoy.extensions.upstreams.http.v3.HttpProtocolOptions").Obj("explicit_http_config")["http2_protocol_options"]);
        // TLS to the picker (its default), ALPN h2, the self-signed certificate not verified (no validation_context).
        var tls = ep.Obj("transport_socket").Obj("typed_config");
        Assert.Equal("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", tls.Str("@type"));
        Assert.Equal(["h2"], tls.Obj("common_tls_context").Arr("alpn_protocols").Strings());
        var address = ep.Obj("load_assignment").Arr("endpoints").Objects().Single().Arr("lb_endpoints").Objects().Single().Obj("endpoint").Obj("address").Obj("socket_address");
        Assert.Equal("ext-proc-headless.inference-mesh.svc.cluster.local", address.Str("address"));
        Assert.Equal(DefaultPorts.ExtProcGrpc, address["port_value"].Int());

        var routeCluster = hcm.Obj("route_config").Arr("virtual_hosts").Objects().Single().Arr("routes").Objects().Single().Obj("route").Str("cluster");
        var original = clusters[routeCluster!];
        Assert.Equal("ORIGINAL_DST", original.Str("type"));
        Assert.Equal(HeaderNames.DestinationEndpoint, original.Obj("original_dst_lb_config").Str("http_header_name"));
    }

    [Fact]
    public async Task PlainEnvoy_DeploymentMountsTheGeneratedConfig_AndRunsNonRoot()
    {
        var docs = await Rendered.Of("deploy/k8s/envoy");
        var config = Assert.Single(docs.OfKind("ConfigMap"));
        Assert.True(config.Obj("data").ContainsKey("envoy.yaml"));
        var deployment = docs.Single("Deployment", "envoy");
        var volume = deployment.PodSpec().Arr("volumes").Objects().Single(v => v.Str("name") == "config");
        Assert.Equal(config.Obj("metadata").Str("name"), volume.Obj("configMap").Str("name"));
        Assert.Equal("true", deployment.PodSpec().Obj("securityContext").Str("runAsNonRoot"));
        Assert.Equal("true", deployment.Container("envoy").Obj("securityContext").Str("readOnlyRootFilesystem"));
        var ports = docs.Single("Service", "envoy").Obj("spec").Arr("ports").Objects().Select(p => p["port"].Int()).Order();
        Assert.Equal([8080, 8081], ports);
    }
}
