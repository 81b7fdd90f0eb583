using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Embedded;

/// <summary>
/// Where the embedded run sends its workload. Today: routing policies in-process on the simulated fleet in virtual time.
/// Later: the real ensemble (development gateway → ext-proc → scheduler → prefix-index) in front of vllm-sim's HTTP
/// servers, as another implementation of this interface, so the workload, table and JSON stay the same.
/// </summary>
internal interface IEmbeddedTarget
{
    /// <summary>Short description for the banner.</summary>
    string Describe();

    /// <summary>Runs every policy on identical arrivals and returns the results.</summary>
    BenchResults Run(Workload workload, IReadOnlyList<string> policies, Action<ReplayProgress> progress);
}
