using InferenceMesh.Contracts;
using Grpc.Net.Client;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>The real ext-proc service on loopback port 0 with a fake scheduler.</summary>
internal sealed class ExtProcTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ExtProcTestHost(WebApplication app, FakeSchedulingService scheduler, ExtProcListeners listeners)
    {
        _app = app;
        Scheduler = scheduler;
        Listeners = listeners;
        Channel = H2cChannel.Create(GrpcAddress, skipCertificateValidation: true);
        Client = new ExternalProcessor.ExternalProcessorClient(Channel);
    }

    public FakeSchedulingService Scheduler { get; }

    public ExtProcListeners Listeners { get; }

    /// <summary>One h2c channel to the gRPC port, shared by the host's calls.</summary>
    public GrpcChannel Channel { get; }

    public ExternalProcessor.ExternalProcessorClient Client { get; }

    /// <summary>https:// when the picker serves TLS (ExtProc:SecureServing=true), else http:// (h2c, the tests' default).</summary>
    public Uri GrpcAddress => new($"{(Listeners.GrpcTls ? "https" : "http")}://127.0.0.1:{Listeners.GrpcPort}");

    /// <summary>The plaintext gRPC health port.</summary>
    public Uri HealthAddress => new($"http://127.0.0.1:{Listeners.HealthPort}");

    public Uri MetricsAddress => new($"http://127.0.0.1:{Listeners.MetricsPort}");

    public Uri HttpAddress => new($"http://127.0.0.1:{Listeners.HttpPort}");

    public IServiceProvider Services => _app.Services;

    /// <summary>A picker whose InferenceModel <c>chat</c> is rewritten to <c>served-model</c> and whose scheduler places
    /// every request on <paramref name="model"/>: the set-up of the development-gateway tests.</summary>
    public static async Task<ExtProcTestHost> StartChatPickerAsync(FakeModelServer model)
    {
        var picker = await StartAsync(new Dictionary<string, string?>
        {
            ["ExtProc:Models:0:ModelName"] = "chat",
            ["ExtProc:Models:0:TargetModels:0:Name"] = "served-model",
        });
        picker.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled(model.Address));
        return picker;
    }

    public static async Task<ExtProcTestHost> StartAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder();
        var config = new Dictionary<string, string?>
        {
            ["ExtProc:ListenAddress"] = "127.0.0.1",
            ["ExtProc:GrpcPort"] = "0",
            ["ExtProc:HttpPort"] = "0",
            ["ExtProc:HealthPort"] = "0",
            ["ExtProc:MetricsPort"] = "0",
            ["ExtProc:SecureServing"] = "false",
            ["ExtProc:RandomSeed"] = "7",
            ["ExtProc:CompletionTransport"] = "invoke",
        };
        if (settings is not null)
        {
            foreach (var (k, v) in settings)
                config[k] = v;
        }
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var scheduler = new FakeSchedulingService();
        builder.Services.AddSingleton<ISchedulingService>(scheduler);
        services?.Invoke(builder.Services);
        builder.AddServiceDefaults(AppIds.ExtProc);
        builder.AddExtProcCore();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapExtProcApi();
        await app.StartAsync();
        return new ExtProcTestHost(app, scheduler, app.Services.GetRequiredService<ExtProcListeners>());
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
