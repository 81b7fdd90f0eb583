using InferenceMesh.Contracts;
using InferenceMesh.ExtProc;
using InferenceMesh.Grpc;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>The two servers compared: the real picker (with an instant in-process scheduler) and a pass-through
/// ext_proc server that answers the same protocol without parsing, hashing or scheduling. Same transport, same process.</summary>
internal static class ExtProcBenchHosts
{
    public const string Endpoint = "10.0.0.1:8000";

    public static async Task<(WebApplication App, Uri Address)> StartPickerAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ExtProc:ListenAddress"] = "127.0.0.1",
            ["ExtProc:GrpcPort"] = "0",
            ["ExtProc:HttpPort"] = "0",
            ["ExtProc:HealthPort"] = "0",
            ["ExtProc:MetricsPort"] = "0",
            ["ExtProc:SecureServing"] = "false",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ISchedulingService, InstantScheduler>();
        builder.AddServiceDefaults(AppIds.ExtProc);
        builder.AddExtProcCore();
        var app = builder.Build();
        app.MapExtProcApi();
        await app.StartAsync().ConfigureAwait(false);
        var port = app.Services.GetRequiredService<ExtProcListeners>().GrpcPort;
        return (app, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>The pass-through server in the same host as the picker's: the service defaults (OpenTelemetry metrics
    /// with the ASP.NET Core, HttpClient and runtime instrumentation; health endpoints), the same Kestrel HTTP/2 limits
    /// (<c>ConfigureForGrpc</c>) and the same gRPC receive limit as ext-proc's default; only the handler differs. (Until
    /// 2026-12-04 it had no service defaults, so the picker's rows alone paid the per-request metrics — including those of
    /// the probe's own client calls, which the picker host's HttpClient instrumentation recorded.)</summary>
    public static async Task<(WebApplication App, Uri Address)> StartPassThroughAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Service:MeterPrefix"] = "InferenceMesh.PassThrough" });
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults("pass-through");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ConfigureForGrpc();
            k.Listen(System.Net.IPAddress.Loopback, 0, lo => lo.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = new ExtProcOptions().MaxBodyBytes + ExtProcExtensions.MessageOverheadBytes);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGrpcService<PassThroughProcessor>();
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address));
    }

    private sealed class InstantScheduler : ISchedulingService
    {
        private static readonly ScheduleResponse Scheduled = new(ScheduleOutcome.Scheduled, Endpoint, [], 200, null, "bench", 0);

        public ValueTask<ScheduleResponse> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken) => ValueTask.FromResult(Scheduled);

        public ValueTask CompleteAsync(RequestCompletion completion, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
