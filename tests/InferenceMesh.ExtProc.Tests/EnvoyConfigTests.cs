using YamlDotNet.RepresentationModel;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>Envoy cannot run here; its config is checked for the settings the picker protocol depends on.</summary>
public sealed class EnvoyConfigTests
{
    private static YamlMappingNode Load()
    {
        var path = Path.Combine(Path.GetDirectoryName(NodePeer.PeersDirectory)!, "..", "deploy", "local", "envoy.yaml");
        Assert.True(File.Exists(path), "missing " + path);
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static YamlNode At(YamlNode node, params object[] path)
    {
        foreach (var step in path)
        {
            node = step switch
            {
                string key => ((YamlMappingNode)node).Children[new YamlScalarNode(key)],
                int index => ((YamlSequenceNode)node).Children[index],
                _ => throw new ArgumentException("bad path step"),
            };
        }
        return node;
    }

    private static string Text(YamlNode node, params object[] path) => ((YamlScalarNode)At(node, path)).Value ?? "";

    private static YamlMappingNode Cluster(YamlMappingNode root, string name) =>
        ((YamlSequenceNode)At(root, "static_resources", "clusters")).Children.Cast<YamlMappingNode>().Single(c => Text(c, "name") == name);

    [Fact]
    public void ExtProcFilter_UsesFullDuplexAndReceivesEnvoyLbMetadata()
    {
        var root = Load();
        var hcm = At(root, "static_resources", "listeners", 0, "filter_chains", 0, "filters", 0, "typed_config");
        var filters = (YamlSequenceNode)At(hcm, "http_filters");
        Assert.Equal("envoy.filters.http.ext_proc", Text(filters, 0, "name"));
        Assert.Equal("envoy.filters.http.router", Text(filters, filters.Children.Count - 1, "name"));
        var ext = At(filters, 0, "typed_config");
        Assert.Equal("type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor", Text(ext, "@type"));
        Assert.Equal("false", Text(ext, "failure_mode_allow"));
        Assert.Equal("ext_proc", Text(ext, "grpc_service", "envoy_grpc", "cluster_name"));
        var mode = At(ext, "processing_mode");
        Assert.Equal("SEND", Text(mode, "request_header_mode"));
        Assert.Equal("SEND", Text(mode, "response_header_mode"));
        Assert.Equal("FULL_DUPLEX_STREAMED", Text(mode, "request_body_mode"));
        Assert.Equal("FULL_DUPLEX_STREAMED", Text(mode, "response_body_mode"));
        Assert.Equal("SEND", Text(mode, "request_trailer_mode"));
        Assert.Equal("SEND", Text(mode, "response_trailer_mode"));
        Assert.Equal("envoy.lb", Text(ext, "metadata_options", "receiving_namespaces", "untyped", 0));
        Assert.Equal("original_destination_cluster", Text(hcm, "route_config", "virtual_hosts", 0, "routes", 0, "route", "cluster"));
    }

    [Fact]
    public void OriginalDstCluster_RoutesOnTheDestinationHeader()
    {
        var cluster = Cluster(Load(), "original_destination_cluster");
        Assert.Equal("ORIGINAL_DST", Text(cluster, "type"));
        Assert.Equal("CLUSTER_PROVIDED", Text(cluster, "lb_policy"));
        Assert.Equal("true", Text(cluster, "original_dst_lb_config", "use_http_header"));
        Assert.Equal(InferenceMesh.Contracts.HeaderNames.DestinationEndpoint, Text(cluster, "original_dst_lb_config", "http_header_name"));
    }

    [Fact]
    public void ExtProcCluster_IsH2cToPort9002WithGrpcHealthChecks()
    {
        var cluster = Cluster(Load(), "ext_proc");
        Assert.NotNull(At(cluster, "typed_extension_protocol_options", "envoy.extensions.upstreams.http.v3.HttpProtocolOptions", "explicit_http_config", "http2_protocol_options"));
        var address = At(cluster, "load_assignment", "endpoints", 0, "lb_endpoints", 0, "endpoint", "address", "socket_address");
        Assert.Equal("127.0.0.1", Text(address, "address"));
        Assert.Equal("9002", Text(address, "port_value"));
        Assert.Equal("envoy.service.ext_proc.v3.ExternalProcessor", Text(cluster, "health_checks", 0, "grpc_health_check", "service_name"));
    }

    [Fact]
    public void ExtProcCluster_SpeaksTlsWithH2Alpn_AsThePickerServesTlsByDefault()
    {
        var cluster = Cluster(Load(), "ext_proc");
        Assert.Equal("envoy.transport_sockets.tls", Text(cluster, "transport_socket", "name"));
        var tls = At(cluster, "transport_socket", "typed_config");
        Assert.Equal("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext", Text(tls, "@type"));
        Assert.Equal("h2", Text(tls, "common_tls_context", "alpn_protocols", 0));
    }
}
