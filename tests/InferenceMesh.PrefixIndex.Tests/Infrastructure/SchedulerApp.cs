using InferenceMesh.Contracts;
using InferenceMesh.Scheduler;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandIn = InferenceMesh.DaprStandIn.DaprStandIn;

namespace InferenceMesh.PrefixIndex.Tests.Infrastructure;

/// <summary>The real scheduler service on loopback port 0 behind a Dapr stand-in (its prefix-index calls go through the
/// stand-in's invocation), tuned for a loaded machine: one snapshot lasts the whole test and lookups get 10 s.</summary>
internal static class SchedulerApp
{
    public static async Task<(WebApplication App, Uri Address)> StartAsync(StandIn sidecar, IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["DAPR_HTTP_ENDPOINT"] = sidecar.HttpEndpoint.ToString(),
            ["DAPR_GRPC_ENDPOINT"] = sidecar.GrpcEndpoint.ToString(),
            // One snapshot for the whole test, however slow the machine: never fail open (which ignores prefixes).
            ["Scheduler:StalenessMs"] = "600000",
            ["Scheduler:FailOpenAfterMs"] = "0",
            // Invocation through the stand-in on a loaded machine: the default 50 ms lookup budget would often run out.
            ["Scheduler:PrefixMatchTimeoutMs"] = "10000",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults(AppIds.Scheduler);
        builder.AddScheduler();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapSchedulerApi();
        await app.StartAsync();
        return (app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }
}
