using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace InferenceMesh.ExtProc.BodyRouting;

/// <summary>The body router's two Kestrel listeners; after start their ports are the bound ones (useful with port 0).</summary>
public sealed class BodyRoutingListeners
{
    internal ListenOptions? Grpc { get; set; }

    internal ListenOptions? Http { get; set; }

    /// <summary>The bound gRPC (ext_proc, h2c) port.</summary>
    public int GrpcPort => Grpc?.IPEndPoint?.Port ?? 0;

    /// <summary>The bound HTTP/1.1 port (health, metrics).</summary>
    public int HttpPort => Http?.IPEndPoint?.Port ?? 0;
}
