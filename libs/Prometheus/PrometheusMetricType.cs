namespace InferenceMesh.Prometheus;

/// <summary>The <c># TYPE</c> of a metric family in the text exposition format.</summary>
public enum PrometheusMetricType
{
    Untyped = 0,
    Counter = 1,
    Gauge = 2,
    Histogram = 3,
    Summary = 4,
}
