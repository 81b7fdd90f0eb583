using System.Net;
using Grpc.AspNetCore.Server;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Grpc;
using InferenceMesh.Kubernetes;
using InferenceMesh.Prefix.Hashing;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc;

/// <summary>Registration and endpoints of the ExtProc service (the Endpoint Picker Envoy calls).</summary>
public static class ExtProcExtensions
{
    /// <summary>Configuration section of the prompt block size and chain length; must match every other hashing process.</summary>
    public const string PrefixHashSection = "PrefixHash";

    /// <summary>Room for a body message's framing and fields beyond <see cref="ExtProcOptions.MaxBodyBytes"/>.</summary>
    internal const int MessageOverheadBytes = 64 * 1024;

    /// <summary>The health check that is healthy while the process runs (gRPC liveness).</summary>
    private const string ProcessCheck = "process";

    /// <summary>Registers the picker (<see cref="AddExtProcCore"/>) with the scheduler reached through the Dapr sidecar
    /// (<see cref="DaprSchedulingService"/>; readiness includes the sidecar).</summary>
    public static WebApplicationBuilder AddExtProc(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // The reference picker's flags (--pool-name, --grpc-port, --secure-serving, ...) map onto our keys.
        builder.Configuration.AddReferenceFlags(Environment.GetCommandLineArgs()[1..]);
        builder.AddExtProcCore();
        builder.Services.AddDaprSidecar();
        builder.Services.AddSingleton<ISchedulingService, DaprSchedulingService>();
        return builder;
    }

    /// <summary>Registers options (<c>ExtProc</c>), the listeners (gRPC ext_proc: TLS or h2c; HTTP/1.1 app; gRPC health; metrics), pool discovery (<c>Discovery</c>,
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
            listeners.ListenAppAndGrpc(kestrel, address, options.HttpPort, options.GrpcPort, options.SecureServing, options.CertPath, ExtProcOptions.Section);
            // The reference's probe port: plaintext gRPC health (kubelet's grpc probe speaks no TLS).
            kestrel.Listen(address, options.HealthPort, lo =>
            {
                lo.Protocols = HttpProtocols.Http2;
                listeners.Health = lo;
            });
            kestrel.Listen(address, options.MetricsPort, lo =>
            {
                lo.Protocols = HttpProtocols.Http1;
                listeners.Metrics = lo;
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
        services.AddSingleton<ReferenceMetrics>();
        services.AddSingleton<ExtProcProcessor>();
        // One stateless service instance for all calls (the per-call state lives in ExtProcStream).
        services.AddSingleton<ExternalProcessorService>();
        services.AddGrpc();
        // A body message may be as large as the body limit (BUFFERED sends the whole body at once) plus headers room.
        services.AddOptions<GrpcServiceOptions<ExternalProcessorService>>()
            .Configure<IOptions<ExtProcOptions>>((grpc, options) => grpc.MaxReceiveMessageSize = options.Value.MaxBodyBytes + MessageOverheadBytes);
        AddExtProcGrpcHealth(services);
        return builder;
    }

    /// <summary>Maps <c>ExternalProcessor/Process</c> and <c>grpc.health.v1.Health</c> (Grpc.AspNetCore answers UNIMPLEMENTED for other methods).</summary>
    public static IEndpointRouteBuilder MapExtProcApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<ExternalProcessorService>();
        app.MapGrpcHealthChecksService();
        return app;
    }

    /// <summary>The standard gRPC health service over the app's health checks, with the reference picker's service names
    /// and semantics: <c>liveness</c> is the process itself (like <c>/healthz/live</c>); "", <c>inference-extension</c>
    /// (what its charts probe), <c>readiness</c> and the ExternalProcessor follow the checks tagged ready (the pool has
    /// synced, the sidecar answers; like <c>/healthz/ready</c>). Unknown names are NOT_FOUND.</summary>
    private static void AddExtProcGrpcHealth(IServiceCollection services)
    {
        // A service mapped to no check at all reports UNKNOWN, so liveness has one that answers while the process does.
        services.AddHealthChecks().AddCheck(ProcessCheck, () => HealthCheckResult.Healthy(), tags: [ProcessCheck]);
        services.AddGrpcHealthChecks(o =>
        {
            o.Services.Clear();
            o.Services.Map(HealthServiceNames.Liveness, r => r.Name == ProcessCheck);
            foreach (var name in HealthServiceNames.Ready)
                o.Services.Map(name, r => r.Tags.Contains(ServiceDefaultsExtensions.ReadyTag));
        });
    }
}

/// <summary>gRPC health service names the picker answers (the reference picker's and its charts').</summary>
public static class HealthServiceNames
{
    public const string Liveness = "liveness";

    public const string Readiness = "readiness";

    /// <summary>The name the reference charts' liveness and readiness probes ask for on port 9003.</summary>
    public const string InferenceExtension = "inference-extension";

    /// <summary>Names that report readiness (pool synced, sidecar up).</summary>
    public static readonly IReadOnlyList<string> Ready = ["", InferenceExtension, Readiness, ExtProcProcessor.ServiceName];
}
