using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace InferenceMesh.ServiceDefaults;

/// <summary>OpenTelemetry the way every service sets it up: our meters and sources plus ASP.NET Core, HttpClient and runtime
/// instrumentation, the Prometheus exporter behind <c>/metrics</c>, and OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// The naming decisions are in docs/telemetry.md.</summary>
internal static class ServiceDefaultsTelemetry
{
    public static void AddTelemetry(WebApplicationBuilder builder, ServiceIdentity identity)
    {
        // Every log scope carries the current trace and span, so a log line finds its trace.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(identity.AppId, serviceInstanceId: identity.ReplicaId))
            .WithMetrics(metrics => metrics
                .AddMeter(OwnMeters(builder))
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter(ConfigurePrometheus));
        if (string.IsNullOrWhiteSpace(builder.Configuration[TelemetryNames.OtlpEndpointVariable]))
            return;

        // Spans are recorded only when they have somewhere to go: without OTLP the request path keeps no span data
        // (W3C propagation and trace ids in logs still work: ASP.NET Core and HttpClient carry them without a provider).
        // UseOtlpExporter reads the endpoint, protocol (appending /v1/<signal> for http/protobuf), headers and timeout
        // from the OTEL_EXPORTER_OTLP_* configuration keys, and exports logs as well as traces and metrics.
        telemetry
            .WithTracing(tracing => tracing
                .AddSource(TelemetryNames.OwnWildcard)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsInfrastructure(context.Request.Path))
                .AddHttpClientInstrumentation())
            .UseOtlpExporter();
    }

    /// <summary>The Prometheus translation, chosen on purpose (docs/telemetry.md): instruments are named the OpenTelemetry
    /// way (dotted, unit in the unit field) and the exporter appends the unit and <c>_total</c> suffixes; scope labels are
    /// off because every name already starts with its area; each scrape reads current values.</summary>
    internal static void ConfigurePrometheus(PrometheusAspNetCoreOptions options)
    {
        options.ScrapeEndpointPath = ServiceDefaultsExtensions.MetricsPath;
        options.TranslationStrategy = PrometheusAspNetCoreTranslationStrategy.UnderscoreEscapingWithSuffixes;
        options.DisableTotalNameSuffixForCounters = false;
        options.ScopeInfoEnabled = false;
        options.TargetInfoEnabled = true;
        options.ScrapeResponseCacheDurationMilliseconds = 0;
    }

    /// <summary>The <c>Service:MeterPrefix</c> wildcard (validated at start with the other <c>Service</c> options).</summary>
    private static string OwnMeters(WebApplicationBuilder builder)
    {
        var prefix = builder.Configuration[$"{ServiceDefaultsOptions.Section}:{nameof(ServiceDefaultsOptions.MeterPrefix)}"];
        return (string.IsNullOrEmpty(prefix) ? ServiceDefaultsOptions.DefaultMeterPrefix : prefix) + "*";
    }

    private static bool IsInfrastructure(PathString path) =>
        path.StartsWithSegments(ServiceDefaultsExtensions.MetricsPath, StringComparison.Ordinal)
        || path.StartsWithSegments("/healthz", StringComparison.Ordinal);
}
