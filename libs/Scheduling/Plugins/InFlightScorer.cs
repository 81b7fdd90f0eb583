namespace InferenceMesh.Scheduling;

/// <summary><c>in-flight-scorer</c>: this replica's dispatches since the last scrape, relative over the candidates like the queue scorer.</summary>
[SchedulingPlugin("in-flight-scorer")]
internal sealed class InFlightScorer : IEndpointScorer
{
    public void Score(in PickInputs inputs, ReadOnlySpan<int> candidates, ReadOnlySpan<int> matched, Span<double> scores)
    {
        for (var k = 0; k < candidates.Length; k++)
            scores[k] = inputs.Endpoints[candidates[k]].SinceSnapshot;
        Scorers.RelativeInPlace(scores);
    }
}
