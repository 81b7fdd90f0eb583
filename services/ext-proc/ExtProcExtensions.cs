using System.Net;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Prefix.Hashing;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.Kubernetes;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ServingStatus = InferenceMesh.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace InferenceMesh.ExtProc;

/// <summary>Registration and endpoints of the ExtProc service (the Endpoint Picker Envoy calls).</summary>
public static class ExtProcExtensions
{
    /// <summary>Configuration section of the prompt block size and chain length; must match every other hashing process.</summary>
    public const string PrefixHashSection = "PrefixHash";

    /// <summary>Registers the picker (<see cref="AddExtProcCore"/>) with the scheduler reached through the Dapr sidecar
    /// (<see cref="DaprSchedulingService"/>; readiness includes the sidecar).</summary>
    public static WebApplicationBuilder AddExtProc(this WebApplicationBuilder builder)
    {
        builder.AddExtProcCore();
        builder.Services.AddDaprSidecar();
        builder.Services.AddSingleton<ISchedulingService, DaprSchedulingService>();
        return builder;
    }

    /// <summary>Registers options (<c>ExtProc</c>), the two listeners (gRPC h2c and HTTP/1.1), pool discovery (<c>Discovery</c>,
    /// off by default) and the picker, without an <see cref="ISchedulingService"/>: the host adds the one it composes.
    /// <see cref="IInferenceModelSource"/> and <see cref="IPromptHasher"/> are only added when not registered already.</summary>
    public static WebApplicationBuilder AddExtProcCore(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddValidatedOptions<ExtProcOptions>(ExtProcOptions.Section);

        var listeners = new ExtProcListeners();
        services.AddSingleton(listeners);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var options = context.Configuration.GetSection(ExtProcOptions.Section).Get<ExtProcOptions>() ?? new ExtProcOptions();
            var address = IPAddress.TryParse(options.ListenAddress, out var a) ? a : IPAddress.Any;
            kestrel.ConfigureForGrpc();
            // HTTP first, so the first "Now listening on" line is the app channel (health, metrics, Dapr).
            kestrel.Listen(address, options.HttpPort, lo =>
            {
                lo.Protocols = HttpProtocols.Http1;
                listeners.Http = lo;
            });
            kestrel.Listen(address, options.GrpcPort, lo =>
            {
                lo.Protocols = HttpProtocols.Http2;
                listeners.Grpc = lo;
            });
        });

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        // Models come from ExtProc:Models and, when Discovery:Mode is set, from the pool file or the API server (CRs only, no pods).
        services.AddPoolDiscovery(watchPods: false);
        // A singleton: AddCheck<T> would otherwise build a new check (and restart its timeout) on every probe.
        services.TryAddSingleton<PoolDiscoveryHealthCheck>();
        services.AddHealthChecks().AddCheck<PoolDiscoveryHealthCheck>("pool-discovery", tags: [ServiceDefaultsExtensions.ReadyTag]);
        services.TryAddSingleton<IInferenceModelSource, DiscoveryInferenceModelSource>();
        services.AddValidatedOptions<PrefixHashOptions>(PrefixHashSection);
        services.TryAddSingleton<IPromptHasher, PrefixPromptHasher>();
        services.AddSingleton<ExtProcMetrics>();
        services.AddSingleton<ExtProcProcessor>();
        return builder;
    }

    /// <summary>Maps <c>ExternalProcessor/Process</c>, <c>grpc.health.v1.Health</c> and UNIMPLEMENTED for other gRPC methods.</summary>
    public static IEndpointRouteBuilder MapExtProcApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var processor = app.ServiceProvider.GetRequiredService<ExtProcProcessor>();
        var options = app.ServiceProvider.GetRequiredService<IOptions<ExtProcOptions>>().Value;
        app.MapGrpcDuplex<ProcessingRequest, ProcessingResponse>(
            ExtProcProcessor.ProcessPath, ProcessingRequest.Parser, processor.ProcessAsync,
            maxMessageSize: options.MaxBodyBytes + (64 * 1024));

        var healthChecks = app.ServiceProvider.GetRequiredService<HealthCheckService>();
        var health = new GrpcHealthService(
            async (service, ct) => service switch
            {
                "" or "liveness" => ServingStatus.Serving,
                "readiness" or ExtProcProcessor.ServiceName => await ReadyAsync(healthChecks, ct).ConfigureAwait(false),
                _ => null,
            },
            app.ServiceProvider.GetRequiredService<TimeProvider>(),
            TimeSpan.FromSeconds(1));
        health.Map(app);
        app.MapGrpcUnimplemented();
        return app;
    }

    private static async ValueTask<ServingStatus?> ReadyAsync(HealthCheckService checks, CancellationToken cancellationToken)
    {
        var report = await checks.CheckHealthAsync(c => c.Tags.Contains(ServiceDefaultsExtensions.ReadyTag), cancellationToken).ConfigureAwait(false);
        return report.Status == HealthStatus.Unhealthy ? ServingStatus.NotServing : ServingStatus.Serving;
    }
}
