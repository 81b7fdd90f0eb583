namespace InferenceMesh.Scheduling;

/// <summary><c>prefix-cache-scorer</c>: leading prompt blocks the prefix index places on the endpoint / the prompt's blocks.</summary>
[SchedulingPlugin("prefix-cache-scorer")]
internal sealed class PrefixScorer : IEndpointScorer
{
    public bool UsesPrefix => true;

    public void Score(in PickInputs inputs, ReadOnlySpan<int> candidates, ReadOnlySpan<int> matched, Span<double> scores)
    {
        for (var k = 0; k < candidates.Length; k++)
            scores[k] = Scorers.Prefix(matched[k], inputs.TotalBlocks);
    }
}
