namespace InferenceMesh.Prometheus;

/// <summary>Why an exposition was rejected: the 1-based line and a reason a human can act on.</summary>
/// <param name="Line">1-based line number of the offending line.</param>
/// <param name="Reason">What was wrong with it.</param>
public readonly record struct PrometheusParseError(int Line, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"line {Line}: {Reason}";
}
