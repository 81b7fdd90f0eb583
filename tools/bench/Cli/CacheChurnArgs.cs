using System.CommandLine;
using System.Globalization;
using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Bench.Cli;

/// <summary>The options of <c>bench replay</c> that make the approximate prefix index go stale (virtual mode):
/// prefix-cache losses mid-run and an index capacity that does not match the servers' KV; and how the mesh policies
/// correct for it (capacity feedback's steps, how long a placement is credited).</summary>
internal sealed class CacheChurnArgs
{
    private readonly Option<double> resetEvery = new("--cache-reset-every")
    {
        Description = "Every S simulated seconds one server, in turn, loses its whole prefix cache (a restart, a weight update, vLLM's reset_prefix_cache with reset_running_requests): its running requests recompute and it reports AllBlocksCleared; until the last arrival (0 = never; virtual mode, open-loop workloads)",
    };

    private readonly Option<int> approxCapacity = new("--approx-capacity")
    {
        Description = "LRU capacity per server, in blocks, of the mesh policies' approximate prefix index (0 = each server's real KV blocks, as prefix-index learns them from the metrics snapshots; 31250 = its DefaultCapacity when no snapshot reaches it)",
    };

    private readonly Option<string?> feedbackSteps = new("--capacity-feedback-steps")
    {
        Description = "GROW,SHRINK: blocks the mesh policies' capacity feedback adds to a guessed index capacity per block a server served beyond the index's promise, and removes per block promised but not served (prefix-index's CapacityGrowPerBlock / CapacityShrinkPerBlock; default 1,0.5)",
    };

    private readonly Option<double?> placementRetention = new("--placement-retention")
    {
        Description = "The mesh policies' Scheduler:PlacementRetention: PREFILL_WORK credits a server with a prefix it was sent until this many times its KV cache, in uncached prompt blocks, has been sent there after it (0 = never age; default 1)",
    };

    public IEnumerable<Option> All => [resetEvery, approxCapacity, feedbackSteps, placementRetention];

    /// <summary>The reset schedule, or null when none was asked for.</summary>
    public CacheResetSchedule? Resets(ParseResult r, Workload workload, bool httpMode)
    {
        var seconds = r.GetValue(resetEvery);
        if (seconds == 0)
        {
            return null;
        }

        if (!(seconds > 0) || double.IsInfinity(seconds))
        {
            throw new UsageException("--cache-reset-every must be a number of seconds > 0");
        }

        if (httpMode || workload.Mode != ArrivalMode.OpenLoop)
        {
            throw new UsageException("--cache-reset-every runs only in --mode virtual with an open-loop workload");
        }

        var last = 0.0;
        foreach (var q in workload.Requests)
        {
            last = Math.Max(last, q.ArrivalMs);
        }

        return new CacheResetSchedule(seconds * 1000, last);
    }

    /// <summary>The approximate index's capacity per server (0 = the servers' real KV).</summary>
    public int ApproxCapacity(ParseResult r) => r.GetValue(approxCapacity) switch
    {
        < 0 => throw new UsageException("--approx-capacity must be >= 0 blocks"),
        var c => c,
    };

    /// <summary>The capacity feedback's steps (grow, shrink per block), or null for prefix-index's defaults.</summary>
    public (double Grow, double Shrink)? FeedbackSteps(ParseResult r)
    {
        var text = r.GetValue(feedbackSteps);
        if (text is null)
        {
            return null;
        }

        var parts = text.Split(',');
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var grow)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var shrink)
            && grow is >= 0 and <= 100 && shrink is >= 0 and <= 100)
        {
            return (grow, shrink);
        }

        throw new UsageException("--capacity-feedback-steps must be GROW,SHRINK: two numbers of blocks from 0 to 100, e.g. 1,0.5");
    }

    /// <summary>The placement retention asked for, or null for the scheduler's default.</summary>
    public double? PlacementRetention(ParseResult r) => r.GetValue(placementRetention) switch
    {
        null => null,
        var x when x is >= 0 and <= 1000 => x,
        _ => throw new UsageException("--placement-retention must be a number from 0 (never age) to 1000"),
    };

    /// <summary>The fleet description with the churn appended.</summary>
    public static string Describe(string fleet, CacheResetSchedule? resets, int approxCapacity, (double Grow, double Shrink)? feedbackSteps = null,
        double? placementRetention = null)
    {
        var s = fleet;
        if (resets is not null)
        {
            s += string.Create(CultureInfo.InvariantCulture, $"; one server's prefix cache reset every {resets.EveryMs / 1000:0.###} s (in turn)");
        }

        if (approxCapacity > 0)
        {
            s += string.Create(CultureInfo.InvariantCulture, $"; approximate index capacity {approxCapacity} blocks per server");
        }

        if (feedbackSteps is { } steps)
        {
            s += string.Create(CultureInfo.InvariantCulture, $"; capacity feedback +{steps.Grow} / -{steps.Shrink} per block");
        }

        if (placementRetention is { } retention)
        {
            s += string.Create(CultureInfo.InvariantCulture, $"; placement retention {retention} x KV");
        }

        return s;
    }
}
