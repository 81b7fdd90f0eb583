namespace InferenceMesh.Scheduling;

/// <summary><c>queue-scorer</c>: scraped waiting requests, relative over the candidates — (max − q)/(max − min), all equal → 1.</summary>
[SchedulingPlugin("queue-scorer")]
internal sealed class QueueScorer : IEndpointScorer
{
    public void Score(in PickInputs inputs, ReadOnlySpan<int> candidates, ReadOnlySpan<int> matched, Span<double> scores)
    {
        for (var k = 0; k < candidates.Length; k++)
            scores[k] = inputs.Endpoints[candidates[k]].Waiting;
        Scorers.RelativeInPlace(scores);
    }
}
