using System.Collections.Frozen;

namespace InferenceMesh.Gateway;

/// <summary>Header names the gateway treats specially.</summary>
public static class GatewayHeaders
{
    /// <summary>Response header naming the endpoint that served the request.</summary>
    public const string ServedBy = "x-inferencemesh-served-by";

    /// <summary>Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not forward.</summary>
    internal static readonly FrozenSet<string> HopByHop = new[]
    {
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
}
