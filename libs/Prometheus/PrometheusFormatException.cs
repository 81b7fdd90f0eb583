namespace InferenceMesh.Prometheus;

/// <summary>Thrown by the throwing parse entry points when an exposition is malformed.</summary>
public sealed class PrometheusFormatException : FormatException
{
    public PrometheusFormatException()
    {
    }

    public PrometheusFormatException(string message)
        : base(message)
    {
    }

    public PrometheusFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from a parse error.</summary>
    public PrometheusFormatException(PrometheusParseError error)
        : base($"Invalid Prometheus exposition at {error}")
    {
        Error = error;
    }

    /// <summary>The line and reason; default when built from a plain message.</summary>
    public PrometheusParseError Error { get; }
}
