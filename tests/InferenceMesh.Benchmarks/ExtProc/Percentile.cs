namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>Nearest-rank percentiles: the reported value is always one that was measured.</summary>
internal static class Percentile
{
    /// <summary>The smallest sample with at least <paramref name="p"/> (0..1] of the samples at or below it.</summary>
    /// <param name="sorted">Samples in ascending order; not empty.</param>
    /// <param name="p">Fraction, e.g. 0.5 or 0.99.</param>
    public static double Of(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty)
            throw new ArgumentException("no samples", nameof(sorted));
        if (!(p > 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "a fraction in (0, 1]");
        // The tolerance keeps a product like 0.99 × n that lands a hair above a whole number on that number.
        var rank = (int)Math.Ceiling((p * sorted.Length) - 1e-9);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }
}
