using Grpc.Net.Client;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>ext-proc's host (in whichever mode <c>compose</c> registers) started on loopback port 0, with one gRPC channel
/// to its ext_proc port (a self-signed certificate is accepted, as the gateways that call it do): what
/// <see cref="ExtProcTestHost"/> and <see cref="BodyRoutingHost"/> share.</summary>
internal sealed class LoopbackApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackApp(WebApplication app)
    {
        _app = app;
        Listeners = app.Services.GetRequiredService<ExtProcListeners>();
        GrpcAddress = new Uri($"{(Listeners.GrpcTls ? "https" : "http")}://127.0.0.1:{Listeners.GrpcPort}");
        Channel = H2cChannel.Create(GrpcAddress, skipCertificateValidation: true);
        Client = new ExternalProcessor.ExternalProcessorClient(Channel);
    }

    public ExtProcListeners Listeners { get; }

    /// <summary>https:// when the gRPC port serves TLS, else http:// (h2c).</summary>
    public Uri GrpcAddress { get; }

    public GrpcChannel Channel { get; }

    public ExternalProcessor.ExternalProcessorClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Listens on 127.0.0.1 with port 0 for <paramref name="section"/>'s gRPC and HTTP ports, then
    /// <paramref name="defaults"/>, then <paramref name="settings"/> (each overriding the one before); <paramref name="compose"/>'s
    /// registrations (the service defaults among them); the default endpoints and <paramref name="map"/>'s.</summary>
    public static async Task<LoopbackApp> StartAsync(string section, IDictionary<string, string?> defaults, IDictionary<string, string?>? settings,
        Action<WebApplicationBuilder> compose, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateBuilder();
        var config = new Dictionary<string, string?>
        {
            [section + ":ListenAddress"] = "127.0.0.1",
            [section + ":GrpcPort"] = "0",
            [section + ":HttpPort"] = "0",
        };
        foreach (var (k, v) in defaults.Concat(settings ?? new Dictionary<string, string?>()))
            config[k] = v;
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        compose(builder);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        map(app);
        await app.StartAsync();
        return new LoopbackApp(app);
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
