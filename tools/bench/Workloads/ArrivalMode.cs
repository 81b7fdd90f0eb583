namespace InferenceMesh.Bench.Workloads;

/// <summary>How requests are released.</summary>
public enum ArrivalMode
{
    /// <summary>At their timestamps (traces, qps generators); session requests after the previous answer plus think time.</summary>
    OpenLoop = 0,

    /// <summary>At most <see cref="Workload.Concurrency"/> in flight; the next starts when one finishes (vLLM bench --max-concurrency).</summary>
    ClosedLoop = 1,
}
