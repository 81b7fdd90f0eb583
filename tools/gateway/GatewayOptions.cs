using System.ComponentModel.DataAnnotations;

namespace InferenceMesh.Gateway;

/// <summary>Configuration section <c>Gateway</c> of the development Envoy stand-in.</summary>
public sealed record GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Address the proxy listens on.</summary>
    [Required]
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>HTTP/1.1 port clients call; 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int Port { get; init; } = 8081;

    /// <summary>The Endpoint Picker's gRPC address: <c>https://</c> = TLS (the picker's default; its certificate is not
    /// verified, as the reference gateway configurations do), <c>http://</c> = h2c (<c>ExtProc:SecureServing=false</c>).</summary>
    [Required]
    [Url]
    public string ExtProcAddress { get; init; } = "https://127.0.0.1:9002";

    /// <summary>Several ext_proc replicas (gRPC addresses); when set, used instead of <see cref="ExtProcAddress"/>. Streams are
    /// spread round-robin, and a stream that fails before the request was forwarded upstream is retried on the next replica
    /// (Envoy: a retry policy on the ext_proc cluster with the <c>previous_hosts</c> predicate; docs/ha.md).</summary>
    public IReadOnlyList<string> ExtProcAddresses { get; init; } = [];

    /// <summary>Retries of a failed ext_proc stream on another replica (Envoy's <c>num_retries</c>); the request body is
    /// buffered for them when more than one replica is configured.</summary>
    [Range(0, 10)]
    public int ExtProcRetries { get; init; } = 2;

    /// <summary>Size of the request-body chunks sent to ext_proc (Envoy sends what it has buffered, typically ≤ 16 KB frames).</summary>
    [Range(1, 1024 * 1024)]
    public int BodyChunkBytes { get; init; } = 16 * 1024;

    /// <summary>Optional subset hint sent as <c>envoy.lb.subset_hint</c> metadata (comma-separated "ip:port" list).</summary>
    public string? SubsetHint { get; init; }

    /// <summary>Optional body-based router (ext-proc with <c>BodyRouting:Enabled</c>) called before route selection, like
    /// Envoy's first ext_proc filter in the seeds' Gateway (docs/body-routing.md): <c>https://</c> = TLS (the router's
    /// default; certificate not verified), <c>http://</c> = h2c (<c>BodyRouting:SecureServing=false</c>).</summary>
    public string? BodyRoutingAddress { get; init; }

    /// <summary>Header-matched routes to InferencePools' pickers, first match wins; empty = every request to <see cref="ExtProcAddress"/>.</summary>
    public IList<GatewayRouteOptions> Routes { get; init; } = [];

    /// <summary>Upper bound of one proxied request (model responses can stream for minutes).</summary>
    [Range(1, 86_400)]
    public int RequestTimeoutSeconds { get; init; } = 1800;
}
