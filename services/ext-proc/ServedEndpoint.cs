using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using WellKnownValue = Google.Protobuf.WellKnownTypes.Value;

namespace InferenceMesh.ExtProc;

/// <summary>The endpoint the proxy actually used, from the response's <c>ProcessingRequest.metadata_context</c>
/// (<c>envoy.lb</c> / <c>x-gateway-destination-endpoint-served</c>, protocol v1.0.0): with fallbacks it may differ from
/// the primary the picker named.</summary>
internal static class ServedEndpoint
{
    public const string Key = "x-gateway-destination-endpoint-served";

    /// <summary>The served "ip:port", or null when the proxy did not report one.</summary>
    public static string? Read(Metadata? metadata)
    {
        if (metadata is null
            || !metadata.FilterMetadata.TryGetValue(HeaderNames.EnvoyLbNamespace, out var ns)
            || !ns.Fields.TryGetValue(Key, out var value)
            || value.KindCase != WellKnownValue.KindOneofCase.StringValue
            || value.StringValue.Length == 0)
            return null;
        return value.StringValue;
    }
}
