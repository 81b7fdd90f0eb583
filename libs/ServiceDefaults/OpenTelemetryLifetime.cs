using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace InferenceMesh.ServiceDefaults;

/// <summary>Builds the OpenTelemetry tracer and meter providers with the OTLP exporter at start and disposes them (flushing) at stop.
/// Wired by hand because OpenTelemetry.Extensions.Hosting is not available here; the exporter reads the standard OTEL_* variables.</summary>
internal sealed class OpenTelemetryLifetime(ServiceIdentity identity, string endpoint, ILogger<OpenTelemetryLifetime> logger) : IHostedService, IDisposable
{
    private TracerProvider? _tracer;
    private MeterProvider? _meter;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var resource = ResourceBuilder.CreateDefault().AddService(identity.AppId, serviceInstanceId: identity.ReplicaId);
        _tracer = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(TelemetryNames.Sources)
            .AddOtlpExporter()
            .Build();
        _meter = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(TelemetryNames.Meters)
            .AddOtlpExporter()
            .Build();
        ServiceDefaultsLog.OpenTelemetryEnabled(logger, endpoint);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _tracer, null)?.Dispose();
        Interlocked.Exchange(ref _meter, null)?.Dispose();
    }
}
