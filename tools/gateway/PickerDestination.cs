using Google.Protobuf.WellKnownTypes;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.Gateway;

/// <summary>Where the picker sent a request, read the way Envoy's ORIGINAL_DST cluster reads it.</summary>
internal static class PickerDestination
{
    /// <summary>The primary endpoint: the header mutation (what ORIGINAL_DST reads), else the envoy.lb metadata.</summary>
    public static string? Of(HeaderMutation? mutation, Struct? metadata)
    {
        string? value = null;
        if (mutation is not null)
        {
            foreach (var h in mutation.SetHeaders)
            {
                if (string.Equals(h.Header.Key, HeaderNames.DestinationEndpoint, StringComparison.OrdinalIgnoreCase))
                    value = h.Header.Text();
            }
        }
        if (value is null
            && metadata is not null
            && metadata.Fields.TryGetValue(HeaderNames.EnvoyLbNamespace, out var lb)
            && lb.StructValue?.Fields.TryGetValue(HeaderNames.DestinationEndpoint, out var v) == true)
            value = v.StringValue;
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var comma = value.IndexOf(',', StringComparison.Ordinal);
        return (comma < 0 ? value : value[..comma]).Trim();
    }
}
