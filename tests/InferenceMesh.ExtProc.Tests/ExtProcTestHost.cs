using InferenceMesh.Contracts;
using Grpc.Net.Client;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>The real ext-proc service on loopback port 0 with a fake scheduler.</summary>
internal sealed class ExtProcTestHost : IAsyncDisposable
{
    private readonly LoopbackApp _app;

    private ExtProcTestHost(LoopbackApp app, FakeSchedulingService scheduler)
    {
        _app = app;
        Scheduler = scheduler;
    }

    public FakeSchedulingService Scheduler { get; }

    public ExtProcListeners Listeners => _app.Listeners;

    /// <summary>One h2c channel to the gRPC port, shared by the host's calls.</summary>
    public GrpcChannel Channel => _app.Channel;

    public ExternalProcessor.ExternalProcessorClient Client => _app.Client;

    /// <summary>https:// when the picker serves TLS (ExtProc:SecureServing=true), else http:// (h2c, the tests' default).</summary>
    public Uri GrpcAddress => _app.GrpcAddress;

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
        var defaults = new Dictionary<string, string?>
        {
            ["ExtProc:HealthPort"] = "0",
            ["ExtProc:MetricsPort"] = "0",
            ["ExtProc:SecureServing"] = "false",
            ["ExtProc:RandomSeed"] = "7",
            ["ExtProc:CompletionTransport"] = "invoke",
        };
        var scheduler = new FakeSchedulingService();
        var app = await LoopbackApp.StartAsync(ExtProcOptions.Section, defaults, settings,
            builder =>
            {
                builder.Services.AddSingleton<ISchedulingService>(scheduler);
                services?.Invoke(builder.Services);
                builder.AddServiceDefaults(AppIds.ExtProc);
                builder.AddExtProcCore();
            },
            app => app.MapExtProcApi());
        return new ExtProcTestHost(app, scheduler);
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
