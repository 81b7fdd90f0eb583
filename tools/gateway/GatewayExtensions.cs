using System.Net;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Gateway;

/// <summary>Registration of the development gateway (a stand-in for Envoy with the ext_proc filter).</summary>
public static class GatewayExtensions
{
    /// <summary>Options from section <c>Gateway</c>, the HTTP/1.1 listener, and the proxy.</summary>
    public static WebApplicationBuilder AddGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddValidatedOptions<GatewayOptions>(GatewayOptions.Section);
        builder.Services.AddSingleton<GatewayProxy>();
        builder.Services.AddSingleton<GatewayRouter>();
        builder.Services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayRoutingValidator>();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var options = context.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
            var address = IPAddress.TryParse(options.ListenAddress, out var a) ? a : IPAddress.Loopback;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Listen(address, options.Port, lo => lo.Protocols = HttpProtocols.Http1);
        });
        return builder;
    }

    /// <summary>Every request is proxied.</summary>
    public static IApplicationBuilder UseGateway(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var proxy = app.ApplicationServices.GetRequiredService<GatewayProxy>();
        app.Run(proxy.HandleAsync);
        return app;
    }
}
