using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace InferenceMesh.ServiceDefaults;

/// <summary>Builds the OpenTelemetry tracer and meter providers with the OTLP exporter at start and disposes them (flushing) at stop.
/// Wired by hand because OpenTelemetry.Extensions.Hosting is not available here. Endpoint and protocol come from configuration
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, environment or any other source) with the spec's
/// rule that http/protobuf appends the signal path; other OTEL_* variables (headers, timeout) are read by the exporter.</summary>
internal sealed class OpenTelemetryLifetime(ServiceIdentity identity, string endpoint, string? protocol, ILogger<OpenTelemetryLifetime> logger) : IHostedService, IDisposable
{
    private TracerProvider? _tracer;
    private MeterProvider? _meter;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var resource = ResourceBuilder.CreateDefault().AddService(identity.AppId, serviceInstanceId: identity.ReplicaId);
        _tracer = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(TelemetryNames.Sources)
            .AddOtlpExporter(o => Configure(o, "v1/traces"))
            .Build();
        _meter = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(TelemetryNames.Meters)
            .AddOtlpExporter(o => Configure(o, "v1/metrics"))
            .Build();
        ServiceDefaultsLog.OpenTelemetryEnabled(logger, endpoint);
        return Task.CompletedTask;
    }

    private void Configure(OtlpExporterOptions options, string signalPath)
    {
        var http = string.Equals(protocol, "http/protobuf", StringComparison.OrdinalIgnoreCase);
        options.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        options.Endpoint = new Uri(http ? endpoint.TrimEnd('/') + "/" + signalPath : endpoint);
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
