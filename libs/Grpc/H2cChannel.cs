using System.Net.Http;
using Grpc.Net.Client;

namespace InferenceMesh.Grpc;

/// <summary>A <see cref="GrpcChannel"/> for cleartext HTTP/2 (h2c) to an ext_proc server, tuned like Envoy's side of
/// the connection: more than one connection once the 100-stream default of a peer is reached, and keep-alive pings so
/// a dead peer is noticed. Create one per process (or per target) and share it: calls multiplex on its connections.</summary>
public static class H2cChannel
{
    /// <summary>Largest message a client accepts by default: BUFFERED/STREAMED answers carry the whole (bounded) body.</summary>
    public const int DefaultMaxReceiveMessageSize = 64 * 1024 * 1024;

    /// <param name="address">For example <c>http://127.0.0.1:9002</c>.</param>
    /// <param name="maxConnectionsPerServer">Caps the connections the handler opens (tests use 1 to share one connection).</param>
    public static GrpcChannel Create(Uri address, int maxConnectionsPerServer = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(address);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            EnableMultipleHttp2Connections = maxConnectionsPerServer > 1,
            MaxConnectionsPerServer = maxConnectionsPerServer,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = DefaultMaxReceiveMessageSize,
        });
    }
}
