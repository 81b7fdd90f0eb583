namespace InferenceMesh.Scheduling;

/// <summary><c>max-score-picker</c>: the highest total wins; totals within <c>tie</c> of the best (default 1e-9) are a tie broken
/// uniformly at random (the reference picker's shape).</summary>
[SchedulingPlugin("max-score-picker")]
internal sealed class MaxScorePicker : IEndpointSelector
{
    private const double DefaultTie = 1e-9;
    private readonly double _tie;

    public MaxScorePicker()
        : this(new PluginParameters(string.Empty, null))
    {
    }

    public MaxScorePicker(PluginParameters parameters) => _tie = parameters.Double("tie", DefaultTie, 0, 1e9);

    public int Select(ReadOnlySpan<double> totals, Random random)
    {
        var best = 0;
        for (var k = 1; k < totals.Length; k++)
        {
            if (totals[k] > totals[best])
                best = k;
        }
        var floor = totals[best] - _tie;
        var seen = 0;
        var chosen = best;
        for (var k = 0; k < totals.Length; k++)
        {
            // Reservoir sampling over the ties: uniform without a second buffer.
            if (totals[k] >= floor && random.Next(++seen) == 0)
                chosen = k;
        }
        return chosen;
    }
}
