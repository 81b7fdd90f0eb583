namespace InferenceMesh.Scheduling;

/// <summary><c>lora-affinity-scorer</c>: the request's adapter running 1.0, a free adapter slot 0.8, adapter waiting 0.6, else 0.</summary>
[SchedulingPlugin("lora-affinity-scorer")]
internal sealed class LoraScorer : IEndpointScorer
{
    public void Score(in PickInputs inputs, ReadOnlySpan<int> candidates, ReadOnlySpan<int> matched, Span<double> scores)
    {
        for (var k = 0; k < candidates.Length; k++)
            scores[k] = Scorers.Lora(inputs.Endpoints[candidates[k]], inputs.Adapter);
    }
}
