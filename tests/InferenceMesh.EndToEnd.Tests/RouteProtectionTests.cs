using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.ExtProc;
using InferenceMesh.MetricsCollector;
using InferenceMesh.PrefixIndex;
using InferenceMesh.Scheduler;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;

namespace InferenceMesh.EndToEnd.Tests;

/// <summary>Every endpoint of every service requires the Dapr app token when <c>APP_API_TOKEN</c> is set, unless it is on
/// the allow-list below. The apps are composed as each service's Program.cs composes them and their endpoints read from
/// the routing data sources, so a route added anywhere (inside the app group or not) is seen.</summary>
public sealed class RouteProtectionTests
{
    /// <summary>Unprotected on purpose: health and metrics (probes and Prometheus call them directly, not through the
    /// sidecar) and ext-proc's gRPC services (Envoy calls them on their own port; NetworkPolicy admits only the gateway).</summary>
    private static readonly Dictionary<string, string[]> AllowList = new()
    {
        ["*"] = ["/healthz/live", "/healthz/ready", "/metrics"],
        [AppIds.ExtProc] =
        [
            "/envoy.service.ext_proc.v3.ExternalProcessor/Process",
            "envoy.service.ext_proc.v3.ExternalProcessor/{unimplementedMethod}",
            "/grpc.health.v1.Health/Check",
            "/grpc.health.v1.Health/Watch",
            "/grpc.health.v1.Health/List",
            "grpc.health.v1.Health/{unimplementedMethod}",
            "{unimplementedService}/{unimplementedMethod}",
        ],
    };

    public static TheoryData<string> AppIdsUnderTest => new() { AppIds.ExtProc, AppIds.Scheduler, AppIds.PrefixIndex, AppIds.MetricsCollector };

    [Theory]
    [MemberData(nameof(AppIdsUnderTest))]
    public async Task EveryEndpoint_RequiresTheAppToken_UnlessAllowListed(string appId)
    {
        await using var app = Compose(appId, appToken: "app-token");
        var unprotected = new List<string>();
        var seen = new List<string>();
        foreach (var endpoint in Endpoints(app))
        {
            var name = Name(endpoint);
            seen.Add(name);
            if (!RequiresAppToken(endpoint) && !Allowed(appId, name))
                unprotected.Add(name);
        }
        Assert.True(unprotected.Count == 0, $"{appId}: unprotected endpoints not on the allow-list: {string.Join(", ", unprotected)} (all: {string.Join(", ", seen)})");
        Assert.Contains("/healthz/ready", seen);
        if (appId != AppIds.ExtProc)
            Assert.Contains(seen, n => !Allowed(appId, n));
    }

    [Fact]
    public async Task WithoutAnAppToken_NothingRequiresIt()
    {
        await using var app = Compose(AppIds.Scheduler, appToken: null);
        Assert.DoesNotContain(Endpoints(app), RequiresAppToken);
    }

    private static bool Allowed(string appId, string name) =>
        AllowList["*"].Contains(name) || (AllowList.TryGetValue(appId, out var own) && own.Contains(name));

    private static bool RequiresAppToken(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null
        && endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == DaprHostingExtensions.AppTokenPolicy);

    private static string Name(Endpoint endpoint)
    {
        var pattern = endpoint is RouteEndpoint route ? route.RoutePattern.RawText ?? "" : endpoint.DisplayName ?? "";
        // Route constraints are not part of the name ("{m:grpcunimplemented}" → "{m}").
        var colon = pattern.IndexOf(':', StringComparison.Ordinal);
        while (colon >= 0)
        {
            var close = pattern.IndexOf('}', colon);
            pattern = pattern[..colon] + pattern[close..];
            colon = pattern.IndexOf(':', StringComparison.Ordinal);
        }
        return pattern;
    }

    private static List<Endpoint> Endpoints(WebApplication app)
    {
        var all = new List<Endpoint>();
        foreach (var source in ((IEndpointRouteBuilder)app).DataSources)
            all.AddRange(source.Endpoints);
        return all;
    }

    /// <summary>The service as its Program.cs builds and maps it (not started: no sidecar or store is needed to list routes).</summary>
    private static WebApplication Compose(string appId, string? appToken)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["APP_API_TOKEN"] = appToken,
            ["Collector:PoolFile"] = RepoPaths.Path("deploy", "local", "pool.yaml"),
            ["Discovery:Mode"] = "None",
        });
        builder.AddServiceDefaults(appId);
        _ = appId switch
        {
            AppIds.ExtProc => builder.AddExtProc(),
            AppIds.Scheduler => builder.AddScheduler(),
            AppIds.PrefixIndex => builder.AddPrefixIndex(),
            _ => builder.AddMetricsCollector(),
        };
        var app = builder.Build();
        app.MapDefaultEndpoints();
        _ = appId switch
        {
            AppIds.ExtProc => app.MapExtProcApi(),
            AppIds.Scheduler => app.MapSchedulerApi(),
            AppIds.PrefixIndex => app.MapPrefixIndexApi(),
            _ => app.MapMetricsCollectorApi(),
        };
        return app;
    }
}
