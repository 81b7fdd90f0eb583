namespace InferenceMesh.Scheduling;

/// <summary>A load count scored relative to the other candidates: (max − v)/(max − min), all equal → 1 (lower load wins).</summary>
internal abstract class RelativeScorer : IEndpointScorer
{
    public void Score(in PickInputs inputs, ReadOnlySpan<int> candidates, ReadOnlySpan<int> matched, Span<double> scores)
    {
        for (var k = 0; k < candidates.Length; k++)
            scores[k] = Value(inputs.Endpoints[candidates[k]]);
        Scorers.RelativeInPlace(scores);
    }

    protected abstract int Value(EndpointState e);
}
