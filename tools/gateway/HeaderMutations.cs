using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.Gateway;

/// <summary>Applies an ext_proc <c>HeaderMutation</c> as Envoy does: removals first, then each set replaces the header's
/// values. Pseudo-headers are never set; on requests neither are hop-by-hop headers (the gateway owns the connection),
/// except <c>content-length</c>, which the target turns into its body's length.</summary>
internal static class HeaderMutations
{
    public static void Apply<T>(HeaderMutation? mutation, ref T target, bool setsHopByHop) where T : struct, IHeaderTarget
    {
        if (mutation is null)
            return;
        foreach (var name in mutation.RemoveHeaders)
            target.Remove(name);
        foreach (var h in mutation.SetHeaders)
        {
            var key = h.Header.Key;
            if (key.StartsWith(':') || (!setsHopByHop && !IsContentLength(key) && GatewayHeaders.HopByHop.Contains(key)))
                continue;
            target.Set(key, h.Header.Text());
        }
    }

    public static bool IsContentLength(string name) => string.Equals(name, "content-length", StringComparison.OrdinalIgnoreCase);
}
