using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace InferenceMesh.Dapr;

/// <summary>The one way a service maps its app API: into <see cref="MapDaprAppGroup"/>, which requires the sidecar's
/// <c>dapr-api-token</c> on every route of the group when <c>APP_API_TOKEN</c> is set, so a route added to a service's
/// API cannot forget it. Outside the group are only health and <c>/metrics</c> (<c>MapDefaultEndpoints</c>), the Dapr
/// subscription routes (token required on each) and ext-proc's gRPC port (called by Envoy, not the sidecar). The
/// tests enumerate every service's endpoints against that allow-list (tests/InferenceMesh.EndToEnd.Tests/RouteProtectionTests.cs).</summary>
public static class DaprAppRoutes
{
    /// <summary>A route group at the root whose endpoints all require the Dapr app token when <c>APP_API_TOKEN</c> is configured.</summary>
    public static RouteGroupBuilder MapDaprAppGroup(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.MapGroup("").RequireDaprAppToken(app.ServiceProvider);
    }
}
