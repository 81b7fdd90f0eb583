using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace InferenceMesh.Grpc;

/// <summary>Kestrel connection settings an ext_proc server needs (Grpc.AspNetCore handles the per-call limits).</summary>
public static class GrpcKestrelExtensions
{
    /// <summary>Many concurrent streams per connection (Envoy multiplexes every HTTP request's ext_proc stream on a few
    /// connections), windows big enough for 220 KB prompts in one round trip, and keep-alive pings on idle connections.</summary>
    public static KestrelServerOptions ConfigureForGrpc(this KestrelServerOptions options, int maxStreamsPerConnection = 4096)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Limits.Http2.MaxStreamsPerConnection = maxStreamsPerConnection;
        options.Limits.Http2.InitialConnectionWindowSize = 16 * 1024 * 1024;
        options.Limits.Http2.InitialStreamWindowSize = 1024 * 1024;
        options.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
        options.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
        return options;
    }
}
