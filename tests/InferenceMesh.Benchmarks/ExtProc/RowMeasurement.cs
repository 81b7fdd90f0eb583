namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>One row's outcome: successful decisions, failures, client-side latency percentiles (µs) and decisions/s.</summary>
internal sealed record RowMeasurement(int Decisions, int Errors, double P50Micros, double P99Micros, double PerSecond, string? FirstError);
