using System.Net.Http;
using Grpc.Net.Client;

namespace InferenceMesh.Grpc;

/// <summary>A <see cref="GrpcChannel"/> for HTTP/2 to an ext_proc server, cleartext (h2c, <c>http://</c>) or TLS
/// (<c>https://</c>), tuned like Envoy's side of the connection: more than one connection once the 100-stream default of a peer is reached, and keep-alive pings so
/// a dead peer is noticed. Create one per process (or per target) and share it: calls multiplex on its connections.</summary>
public static class H2cChannel
{
    /// <summary>Largest message a client accepts by default: BUFFERED/STREAMED answers carry the whole (bounded) body.</summary>
    public const int DefaultMaxReceiveMessageSize = 64 * 1024 * 1024;

    /// <param name="address">For example <c>http://127.0.0.1:9002</c>.</param>
    /// <param name="maxConnectionsPerServer">Caps the connections the handler opens (tests use 1 to share one connection).</param>
    /// <param name="skipCertificateValidation">With <c>https://</c>: accept any server certificate, as the reference
    /// picker's gateway configurations do for its self-signed one (development gateway and tests only).</param>
    public static GrpcChannel Create(Uri address, int maxConnectionsPerServer = int.MaxValue, bool skipCertificateValidation = false)
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
        if (skipCertificateValidation)
        {
            // Opt-in, for the picker's self-signed certificate: the reference gateway configurations skip verification too.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = DefaultMaxReceiveMessageSize,
        });
    }
}
