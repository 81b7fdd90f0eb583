using Grpc.Net.Client;
using InferenceMesh.Contracts;
using InferenceMesh.ExtProc.BodyRouting;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.ServiceDefaults;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>ext-proc in body-routing mode (as Program.cs composes it with <c>BodyRouting:Enabled=true</c>) on loopback port 0,
/// serving TLS by default like the deployed router.</summary>
internal sealed class BodyRoutingHost : IAsyncDisposable
{
    private readonly LoopbackApp _app;

    private BodyRoutingHost(LoopbackApp app) => _app = app;

    public ExtProcListeners Listeners => _app.Listeners;

    /// <summary>https:// with TLS (the router's default), http:// with <c>BodyRouting:SecureServing=false</c> (h2c).</summary>
    public Uri GrpcAddress => _app.GrpcAddress;

    public GrpcChannel Channel => _app.Channel;

    public ExternalProcessor.ExternalProcessorClient Client => _app.Client;

    public static async Task<BodyRoutingHost> StartAsync(IDictionary<string, string?>? settings = null) =>
        new(await LoopbackApp.StartAsync("BodyRouting", new Dictionary<string, string?> { ["BodyRouting:Enabled"] = "true" }, settings,
            builder =>
            {
                builder.AddServiceDefaults(AppIds.ExtProc);
                builder.AddExtProcOrBodyRouting();
            },
            app => app.MapExtProcOrBodyRoutingApi()));

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
