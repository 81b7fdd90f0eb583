using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace InferenceMesh.ExtProc;

/// <summary>The Kestrel listeners; after start their ports are the bound ones (useful with port 0).</summary>
public sealed class ExtProcListeners
{
    internal ListenOptions? Grpc { get; set; }

    internal ListenOptions? Http { get; set; }

    internal ListenOptions? Health { get; set; }

    internal ListenOptions? Metrics { get; set; }

    /// <summary>Whether the gRPC port serves TLS (<c>SecureServing</c>, the default) rather than h2c.</summary>
    public bool GrpcTls { get; internal set; }

    /// <summary>The bound gRPC (ext_proc) port.</summary>
    public int GrpcPort => Grpc?.IPEndPoint?.Port ?? 0;

    /// <summary>The bound HTTP/1.1 port (health, metrics, Dapr app channel).</summary>
    public int HttpPort => Http?.IPEndPoint?.Port ?? 0;

    /// <summary>The bound plaintext gRPC health port (h2c).</summary>
    public int HealthPort => Health?.IPEndPoint?.Port ?? 0;

    /// <summary>The bound metrics port (HTTP/1.1, <c>/metrics</c>).</summary>
    public int MetricsPort => Metrics?.IPEndPoint?.Port ?? 0;

    /// <summary>Listens on the HTTP/1.1 app port first (so the first "Now listening on" line is the app channel: health,
    /// metrics, Dapr), then on the gRPC port (HTTP/2; TLS when <paramref name="secureServing"/>, with the certificate in
    /// <paramref name="certPath"/> or a self-signed one, else h2c), and records both. <paramref name="section"/> names
    /// the options' section in errors.</summary>
    internal void ListenAppAndGrpc(KestrelServerOptions kestrel, IPAddress address, int httpPort, int grpcPort, bool secureServing, string? certPath, string section)
    {
        kestrel.Listen(address, httpPort, lo =>
        {
            lo.Protocols = HttpProtocols.Http1;
            Http = lo;
        });
        GrpcTls = secureServing;
        kestrel.Listen(address, grpcPort, lo =>
        {
            lo.Protocols = HttpProtocols.Http2;
            if (secureServing)
                lo.UseHttps(ExtProcCertificate.Load(certPath, section, TimeProvider.System));
            Grpc = lo;
        });
    }
}
