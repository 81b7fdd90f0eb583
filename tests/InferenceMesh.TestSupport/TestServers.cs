using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.TestSupport;

/// <summary>Starting real Kestrel servers on loopback (port 0 by default).</summary>
public static class TestServers
{
    /// <summary>Starts <paramref name="configure"/>'s app on 127.0.0.1 (port 0 unless <paramref name="port"/> is given).</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(Action<WebApplication> configure, int port = 0,
        WebApplicationBuilder? builder = null)
    {
        builder ??= WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, port));
        var app = builder.Build();
        configure(app);
        await app.StartAsync();
        return (app, AddressOf(app));
    }

    /// <summary>The first address a started <paramref name="app"/> listens on (with port 0, the bound port), e.g.
    /// <c>http://127.0.0.1:41234/</c>.</summary>
    public static Uri AddressOf(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
    }
}
