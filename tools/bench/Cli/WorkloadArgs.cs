using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Bench.Cli;

/// <summary>Resolves --trace / --workload into a workload.</summary>
internal static class WorkloadArgs
{
    public static (Workload Workload, string Source) Load(string? trace, string? workload, int requests, int seed, double loadScale, bool spread, IReadOnlyList<string>? adapters = null)
    {
        if (string.IsNullOrEmpty(trace) == string.IsNullOrEmpty(workload))
        {
            throw new UsageException("give exactly one of --trace FILE or --workload NAME (see `bench workloads`)");
        }

        Workload w;
        string source;
        if (!string.IsNullOrEmpty(trace))
        {
            try
            {
                w = TraceLoader.Load(trace, requests, spread);
            }
            catch (FileNotFoundException e)
            {
                throw new UsageException(e.Message);
            }

            source = trace;
        }
        else
        {
            if (!Scenarios.Descriptions.ContainsKey(workload!))
            {
                throw new UsageException($"unknown workload '{workload}'; known: {string.Join(", ", Scenarios.Descriptions.Keys)}");
            }

            w = Scenarios.Create(workload!, seed, requests, adapters);
            source = "generated:" + workload;
        }

        if (requests > 0)
        {
            w = w.Take(requests);
        }

        if (loadScale <= 0)
        {
            throw new UsageException("--load-scale must be > 0");
        }

        if (w.Requests.Count == 0)
        {
            throw new UsageException($"the workload has no requests ({w.Skipped.Count} malformed lines skipped)");
        }

        return (w.ScaleLoad(loadScale), source);
    }
}
