namespace InferenceMesh.Grpc.Envoy.Config.Core.V3;

/// <summary>Reading Envoy's <see cref="HeaderValue"/>: Envoy sends <c>raw_value</c> (bytes) and leaves <c>value</c>
/// empty; older senders and tests may use <c>value</c>.</summary>
public static class HeaderValueExtensions
{
    /// <summary>The header's value as text, from <c>raw_value</c> when set, else <c>value</c>.</summary>
    public static string Text(this HeaderValue header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return header.RawValue.IsEmpty ? header.Value : header.RawValue.ToStringUtf8();
    }
}
