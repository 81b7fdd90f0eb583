using System.Net;
using Grpc.AspNetCore.Server;
using InferenceMesh.Grpc;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc.BodyRouting;

/// <summary>Registration of ext-proc's body-based-routing mode (<c>BodyRouting:Enabled=true</c>): the process serves only the
/// router, on its own ports, without the picker, the scheduler or the Dapr sidecar.</summary>
public static class BodyRoutingExtensions
{
    /// <summary>Room for a body message's framing and fields beyond <see cref="BodyRoutingOptions.MaxBodyBytes"/>.</summary>
    private const int MessageOverheadBytes = 64 * 1024;

    /// <summary>Whether configuration selects the body-routing mode.</summary>
    public static bool IsBodyRoutingMode(this IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.GetSection(BodyRoutingOptions.Section).GetValue<bool>(nameof(BodyRoutingOptions.Enabled));
    }

    /// <summary>The body router when <c>BodyRouting:Enabled</c>, else the Endpoint Picker (<see cref="ExtProcExtensions.AddExtProc"/>).</summary>
    public static WebApplicationBuilder AddExtProcOrBodyRouting(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Configuration.IsBodyRoutingMode() ? builder.AddBodyRouting() : builder.AddExtProc();
    }

    /// <summary>Maps what <see cref="AddExtProcOrBodyRouting"/> registered.</summary>
    public static WebApplication MapExtProcOrBodyRoutingApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Configuration.IsBodyRoutingMode())
            app.MapBodyRoutingApi();
        else
            app.MapExtProcApi();
        return app;
    }

    /// <summary>Options (<c>BodyRouting</c>), the gRPC (TLS by default, or h2c) and HTTP/1.1 listeners, and the router.</summary>
    public static WebApplicationBuilder AddBodyRouting(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddValidatedOptions<BodyRoutingOptions>(BodyRoutingOptions.Section);
        var listeners = new ExtProcListeners();
        services.AddSingleton(listeners);
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var options = context.Configuration.GetSection(BodyRoutingOptions.Section).Get<BodyRoutingOptions>() ?? new BodyRoutingOptions();
            var address = IPAddress.TryParse(options.ListenAddress, out var a) ? a : IPAddress.Any;
            kestrel.ConfigureForGrpc();
            listeners.ListenAppAndGrpc(kestrel, address, options.HttpPort, options.GrpcPort, options.SecureServing, options.CertPath, BodyRoutingOptions.Section);
        });
        services.AddMetrics();
        services.AddSingleton<BodyRoutingMetrics>();
        services.AddSingleton<BodyRoutingService>();
        services.AddGrpc();
        services.AddOptions<GrpcServiceOptions<BodyRoutingService>>()
            .Configure<IOptions<BodyRoutingOptions>>((grpc, options) => grpc.MaxReceiveMessageSize = options.Value.MaxBodyBytes + MessageOverheadBytes);
        // The router needs nothing but itself: every name follows the ready checks (only "serving until shutdown" here).
        services.AddGrpcHealthChecks(o =>
        {
            o.Services.Clear();
            foreach (var name in (string[])["", "liveness", "readiness", ExtProcProcessor.ServiceName])
                o.Services.Map(name, r => r.Tags.Contains(ServiceDefaultsExtensions.ReadyTag));
        });
        return builder;
    }

    /// <summary>Maps the router's <c>ExternalProcessor/Process</c> and <c>grpc.health.v1.Health</c>.</summary>
    public static IEndpointRouteBuilder MapBodyRoutingApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<BodyRoutingService>();
        app.MapGrpcHealthChecksService();
        return app;
    }
}
