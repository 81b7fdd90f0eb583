namespace InferenceMesh.Bench.Stats;

/// <summary>Percentiles by linear interpolation between closest ranks (numpy's default), so p50 of {1,2,3,4} is 2.5.</summary>
public static class Percentiles
{
    /// <summary>The <paramref name="p"/>-th percentile (0..100) of values already sorted ascending; NaN when empty.</summary>
    public static double OfSorted(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty)
        {
            return double.NaN;
        }

        if (p is < 0 or > 100 || double.IsNaN(p))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "percentile must be in [0, 100]");
        }

        var rank = p / 100.0 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * (rank - lo));
    }

    /// <summary>Mean, p50, p90, p99 of unsorted values (copied, not modified).</summary>
    public static LatencySummary Summarise(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return LatencySummary.Empty;
        }

        var a = values.ToArray();
        Array.Sort(a);
        var sum = 0.0;
        foreach (var v in a)
        {
            sum += v;
        }

        return new LatencySummary(sum / a.Length, OfSorted(a, 50), OfSorted(a, 90), OfSorted(a, 99), a.Length);
    }
}
