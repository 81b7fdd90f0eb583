namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>One row's outcome: successful decisions, failures, client-side latency percentiles (µs), decisions/s and
/// bytes allocated in the whole process per decision.</summary>
internal sealed record RowMeasurement(int Decisions, int Errors, double P50Micros, double P99Micros, double PerSecond, double AllocatedPerDecision, string? FirstError);
