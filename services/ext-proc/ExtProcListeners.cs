using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace InferenceMesh.ExtProc;

/// <summary>The Kestrel listeners; after start their ports are the bound ones (useful with port 0).</summary>
public sealed class ExtProcListeners
{
    internal ListenOptions? Grpc { get; set; }

    internal ListenOptions? Http { get; set; }

    internal ListenOptions? Health { get; set; }

    internal ListenOptions? Metrics { get; set; }

    /// <summary>Whether the gRPC port serves TLS (<see cref="ExtProcOptions.SecureServing"/>) rather than h2c.</summary>
    public bool GrpcTls { get; internal set; }

    /// <summary>The bound gRPC (ext_proc) port.</summary>
    public int GrpcPort => Grpc?.IPEndPoint?.Port ?? 0;

    /// <summary>The bound HTTP/1.1 port (health, metrics, Dapr app channel).</summary>
    public int HttpPort => Http?.IPEndPoint?.Port ?? 0;

    /// <summary>The bound plaintext gRPC health port (h2c).</summary>
    public int HealthPort => Health?.IPEndPoint?.Port ?? 0;

    /// <summary>The bound metrics port (HTTP/1.1, <c>/metrics</c>).</summary>
    public int MetricsPort => Metrics?.IPEndPoint?.Port ?? 0;
}
