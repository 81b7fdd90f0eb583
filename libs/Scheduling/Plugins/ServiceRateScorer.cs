namespace InferenceMesh.Scheduling;

/// <summary><c>service-rate-scorer</c>: how fast an endpoint has served this replica's requests, from their completions
/// (time from dispatch to completion per output token): the fastest candidate's rate over this one's, so equal servers
/// score alike and a server at a quarter of its peers' speed scores 0.25. Candidates with no completion yet score 1, so a
/// new endpoint gets traffic and is measured. Queue and KV show a slow server only once its queue has grown; this shows it
/// from its first completions, and also while its queue is empty (docs/benchmarks/heterogeneous.md (c)).</summary>
[SchedulingPlugin("service-rate-scorer")]
internal sealed class ServiceRateScorer : IEndpointScorer
{
    public void Score(in PickInputs inputs, ReadOnlySpan<int> candidates, ReadOnlySpan<int> matched, Span<double> scores)
    {
        var fastest = double.MaxValue;
        for (var k = 0; k < candidates.Length; k++)
        {
            var ms = inputs.Endpoints[candidates[k]].MsPerToken;
            if (ms > 0)
                fastest = Math.Min(fastest, ms);
        }
        for (var k = 0; k < candidates.Length; k++)
        {
            var ms = inputs.Endpoints[candidates[k]].MsPerToken;
            scores[k] = ms > 0 ? fastest / ms : 1.0;
        }
    }
}
