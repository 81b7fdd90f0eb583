namespace InferenceMesh.ServiceDefaults;

/// <summary>Activity sources and meters the OpenTelemetry pipeline exports.</summary>
public static class TelemetryNames
{
    /// <summary>Wildcard of our own activity sources and meters (<c>InferenceMesh.&lt;Area&gt;</c>).</summary>
    public const string OwnWildcard = "InferenceMesh.*";

    /// <summary>Environment variable (or configuration key) that switches OTLP export on; the exporter reads it and the
    /// other <c>OTEL_EXPORTER_OTLP_*</c> variables (protocol, headers, timeout) itself.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
}
