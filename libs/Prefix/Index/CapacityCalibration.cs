namespace InferenceMesh.Prefix.Index;

/// <summary>The capacity feedback rule, shared by prefix-index (<c>POST /capacity-feedback</c>) and the bench's in-process
/// LRU so both move a capacity the same way. Pure: no state, no I/O.</summary>
public static class CapacityCalibration
{
    /// <summary>The capacity after one report of evidence:
    /// <c>clamp(round(current + CapacityGrowPerBlock × over − CapacityShrinkPerBlock × under), MinCapacity, MaxCapacity)</c>
    /// (halves round away from zero). Over-blocks were served from the server's cache beyond what the index promised (the
    /// capacity is too small); under-blocks were promised and not served (too large). No evidence still clamps
    /// <paramref name="current"/> into the range.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    /// <exception cref="ArgumentException">MinCapacity exceeds MaxCapacity (options not validated).</exception>
    public static int Next(int current, long overBlocks, long underBlocks, PrefixIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(overBlocks);
        ArgumentOutOfRangeException.ThrowIfNegative(underBlocks);
        var next = current + (options.CapacityGrowPerBlock * overBlocks) - (options.CapacityShrinkPerBlock * underBlocks);
        // Clamped as a double first: the evidence can be large enough to overflow an int.
        next = Math.Clamp(Math.Round(next, MidpointRounding.AwayFromZero), options.MinCapacity, options.MaxCapacity);
        return (int)next;
    }

    /// <summary>Whether feedback moves an endpoint's capacity under <paramref name="mode"/>, given whether its capacity
    /// is its engine's reported size.</summary>
    public static bool Applies(CapacityFeedbackMode mode, bool engineReported) =>
        mode == CapacityFeedbackMode.Always || (mode == CapacityFeedbackMode.WhenUnknown && !engineReported);
}
