namespace InferenceMesh.Bench.Replay;

/// <summary>Replay knobs.</summary>
/// <param name="Seed">Seed handed to policies.</param>
/// <param name="ScrapeIntervalMs">How often the picker's view of server metrics refreshes (GIE: 50 ms).</param>
/// <param name="KeepSeries">Keep time series for charts in the JSON.</param>
/// <param name="MaxSeriesPoints">Cap on points per series (downsampled beyond).</param>
/// <param name="Replicas">Picker replicas of a virtual replay; null = one picker, no propagation delays.</param>
/// <param name="ApproxIndexCapacity">LRU capacity per server of the approximate prefix index; 0 = the servers' real KV.</param>
/// <param name="CapacityFeedbackSteps">Capacity feedback's grow / shrink per block; null = prefix-index's defaults.</param>
/// <param name="PlacementRetention">The mesh policies' <c>Scheduler:PlacementRetention</c>; null = the scheduler's default.</param>
/// <param name="RequestsOut">Per-request TSV to append each policy's rows to (<c>--requests-out</c>); null = none.</param>
public sealed record ReplayOptions(
    int Seed = 1,
    double ScrapeIntervalMs = 50,
    bool KeepSeries = true,
    int MaxSeriesPoints = 600,
    ReplicaOptions? Replicas = null,
    int ApproxIndexCapacity = 0,
    (double Grow, double Shrink)? CapacityFeedbackSteps = null,
    double? PlacementRetention = null,
    string? RequestsOut = null);
