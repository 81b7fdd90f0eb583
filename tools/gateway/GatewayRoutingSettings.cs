namespace InferenceMesh.Gateway;

/// <summary>The routing part of <see cref="GatewayOptions"/> as configuration keys (for <see cref="GatewayHost"/>).</summary>
internal static class GatewayRoutingSettings
{
    public static void Add(IDictionary<string, string?> settings, GatewayOptions options)
    {
        var prefix = GatewayOptions.Section + ":";
        settings[prefix + nameof(GatewayOptions.BodyRoutingAddress)] = options.BodyRoutingAddress;
        for (var i = 0; i < options.Routes.Count; i++)
        {
            var r = options.Routes[i];
            var key = $"{prefix}{nameof(GatewayOptions.Routes)}:{i}:";
            settings[key + nameof(GatewayRouteOptions.Header)] = r.Header;
            settings[key + nameof(GatewayRouteOptions.Exact)] = r.Exact;
            settings[key + nameof(GatewayRouteOptions.RegularExpression)] = r.RegularExpression;
            settings[key + nameof(GatewayRouteOptions.ExtProcAddress)] = r.ExtProcAddress;
        }
    }
}
