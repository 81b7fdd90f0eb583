namespace InferenceMesh.VllmSim;

/// <summary>A cumulative Prometheus-style histogram with fixed upper bounds (seconds).</summary>
public sealed class SimHistogram
{
    private readonly double[] _bounds;
    private readonly long[] _counts;

    /// <summary>Creates a histogram with the given ascending upper bounds (+Inf is implicit).</summary>
    public SimHistogram(double[] bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        _bounds = bounds;
        _counts = new long[bounds.Length];
    }

    /// <summary>Upper bounds, without +Inf.</summary>
    public ReadOnlySpan<double> Bounds => _bounds;

    /// <summary>Observations at or below each bound (cumulative).</summary>
    public ReadOnlySpan<long> CumulativeCounts => _counts;

    /// <summary>Number of observations.</summary>
    public long Count { get; private set; }

    /// <summary>Sum of observations.</summary>
    public double Sum { get; private set; }

    /// <summary>Records one value.</summary>
    public void Observe(double value)
    {
        Count++;
        Sum += value;
        for (var i = _bounds.Length - 1; i >= 0 && value <= _bounds[i]; i--)
            _counts[i]++;
    }

    /// <summary>vLLM V1 <c>time_to_first_token_seconds</c> buckets.</summary>
    public static double[] TtftBuckets() =>
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];

    /// <summary>vLLM V1 <c>time_per_output_token_seconds</c> / inter-token latency buckets.</summary>
    public static double[] TpotBuckets() =>
        [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];

    /// <summary>vLLM V1 request latency buckets (<c>e2e_request_latency_seconds</c>, queue time).</summary>
    public static double[] LatencyBuckets() =>
        [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];
}
