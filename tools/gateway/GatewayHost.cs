using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace InferenceMesh.Gateway;

/// <summary>The gateway started in-process (tests, the embedded mode).</summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Where clients send requests, e.g. <c>http://127.0.0.1:8081/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The bound port.</summary>
    public int Port => Address.Port;

    /// <summary>Starts a gateway (port 0 picks a free port) in front of the picker at <see cref="GatewayOptions.ExtProcAddress"/>.</summary>
    public static async Task<GatewayHost> StartAsync(GatewayOptions options, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = typeof(GatewayHost).Assembly.GetName().Name });
        var prefix = GatewayOptions.Section + ":";
        var settings = new Dictionary<string, string?>
        {
            [prefix + nameof(GatewayOptions.ListenAddress)] = options.ListenAddress,
            [prefix + nameof(GatewayOptions.Port)] = options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [prefix + nameof(GatewayOptions.ExtProcAddress)] = options.ExtProcAddress,
            [prefix + nameof(GatewayOptions.BodyChunkBytes)] = options.BodyChunkBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [prefix + nameof(GatewayOptions.SubsetHint)] = options.SubsetHint,
            [prefix + nameof(GatewayOptions.RequestTimeoutSeconds)] = options.RequestTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        GatewayRoutingSettings.Add(settings, options);
        for (var i = 0; i < options.ExtProcAddresses.Count; i++)
            settings[$"{prefix}{nameof(GatewayOptions.ExtProcAddresses)}:{i.ToString(System.Globalization.CultureInfo.InvariantCulture)}"] = options.ExtProcAddresses[i];
        settings[prefix + nameof(GatewayOptions.ExtProcRetries)] = options.ExtProcRetries.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Configuration.AddInMemoryCollection(settings);
        if (logging is not null)
            logging(builder.Logging);
        else
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddGateway();
        var app = builder.Build();
        app.UseGateway();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GatewayHost(app, new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
