namespace InferenceMesh.Bench.Workloads;

/// <summary>A replayable set of requests plus how they arrive.</summary>
/// <param name="Name">Short name (trace file name or generator scenario).</param>
/// <param name="Description">Parameters, for the report.</param>
/// <param name="Requests">Requests in release order.</param>
/// <param name="Mode">Arrival mode.</param>
/// <param name="Concurrency">Closed loop: requests in flight.</param>
/// <param name="Skipped">Lines a reader skipped, with their line numbers and why.</param>
public sealed record Workload(
    string Name,
    string Description,
    IReadOnlyList<WorkloadRequest> Requests,
    ArrivalMode Mode,
    int Concurrency,
    IReadOnlyList<string> Skipped)
{
    /// <summary>Keeps the first <paramref name="count"/> requests (a slice of a trace).</summary>
    public Workload Take(int count)
    {
        if (count <= 0 || count >= Requests.Count)
        {
            return this;
        }

        var list = new WorkloadRequest[count];
        for (var i = 0; i < count; i++)
        {
            list[i] = Requests[i];
        }

        return this with { Requests = list, Description = Description + $"; first {count} requests" };
    }

    /// <summary>Compresses open-loop time by <paramref name="scale"/> (2 = twice the request rate).</summary>
    public Workload ScaleLoad(double scale)
    {
        if (scale <= 0 || double.IsNaN(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "load scale must be > 0");
        }

        if (scale == 1.0)
        {
            return this;
        }

        var list = new WorkloadRequest[Requests.Count];
        for (var i = 0; i < list.Length; i++)
        {
            var r = Requests[i];
            list[i] = r with { ArrivalMs = r.ArrivalMs / scale, ThinkMs = r.ThinkMs / scale };
        }

        return this with
        {
            Requests = list,
            Description = Description + string.Create(System.Globalization.CultureInfo.InvariantCulture, $"; load scale {scale}"),
        };
    }
}
