using Grpc.Net.Client;
using InferenceMesh.Contracts;
using InferenceMesh.ExtProc.BodyRouting;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>ext-proc in body-routing mode (as Program.cs composes it with <c>BodyRouting:Enabled=true</c>) on loopback port 0,
/// serving TLS by default like the deployed router.</summary>
internal sealed class BodyRoutingHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BodyRoutingHost(WebApplication app, ExtProcListeners listeners)
    {
        _app = app;
        Listeners = listeners;
        GrpcAddress = new Uri($"{(listeners.GrpcTls ? "https" : "http")}://127.0.0.1:{listeners.GrpcPort}");
        // The router's default certificate is self-signed, as the gateways that call it do not verify it.
        Channel = H2cChannel.Create(GrpcAddress, skipCertificateValidation: true);
        Client = new ExternalProcessor.ExternalProcessorClient(Channel);
    }

    public ExtProcListeners Listeners { get; }

    /// <summary>https:// with TLS (the router's default), http:// with <c>BodyRouting:SecureServing=false</c> (h2c).</summary>
    public Uri GrpcAddress { get; }

    public GrpcChannel Channel { get; }

    public ExternalProcessor.ExternalProcessorClient Client { get; }

    public static async Task<BodyRoutingHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder();
        var config = new Dictionary<string, string?>
        {
            ["BodyRouting:Enabled"] = "true",
            ["BodyRouting:ListenAddress"] = "127.0.0.1",
            ["BodyRouting:GrpcPort"] = "0",
            ["BodyRouting:HttpPort"] = "0",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
            config[k] = v;
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults(AppIds.ExtProc);
        builder.AddExtProcOrBodyRouting();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapExtProcOrBodyRoutingApi();
        await app.StartAsync();
        return new BodyRoutingHost(app, app.Services.GetRequiredService<ExtProcListeners>());
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
