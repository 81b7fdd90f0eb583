namespace InferenceMesh.Embedded.Ensemble;

/// <summary>Who picks the endpoint behind ext-proc. Both go through the same gateway → ext_proc (h2c) → picker path.</summary>
internal enum RoutingMode
{
    /// <summary>InferenceMesh: metrics-collector → scheduler (+ prefix-index) behind ext-proc.</summary>
    InferenceMesh = 0,

    /// <summary>Envoy's default: fewest outstanding requests, counted by the picker itself (no metrics, no prefix).</summary>
    LeastRequest = 1,
}
