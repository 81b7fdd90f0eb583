namespace InferenceMesh.Scheduling;

/// <summary><c>kv-cache-utilization-scorer</c>: 1 − KV-cache usage.</summary>
[SchedulingPlugin("kv-cache-utilization-scorer")]
internal sealed class KvCacheScorer : IEndpointScorer
{
    public void Score(in PickInputs inputs, ReadOnlySpan<int> candidates, ReadOnlySpan<int> matched, Span<double> scores)
    {
        for (var k = 0; k < candidates.Length; k++)
            scores[k] = Scorers.Kv(inputs.Endpoints[candidates[k]].KvUsage);
    }
}
