using System.Text.Json.Serialization;

namespace InferenceMesh.Bench.Stats;

/// <summary>Summary of one latency distribution in milliseconds.</summary>
public sealed record LatencySummary(
    [property: JsonPropertyName("mean")] double Mean,
    [property: JsonPropertyName("p50")] double P50,
    [property: JsonPropertyName("p90")] double P90,
    [property: JsonPropertyName("p99")] double P99,
    [property: JsonPropertyName("count")] int Count)
{
    /// <summary>No samples: every figure is 0 and count 0 (JSON has no NaN).</summary>
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0);
}
