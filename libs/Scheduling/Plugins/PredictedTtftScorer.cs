namespace InferenceMesh.Scheduling;

/// <summary><c>predicted-ttft-scorer</c>: −(predicted time to first token, ms) from the shared cost model
/// (<c>Scheduler:PredictedTtft</c>): queue wait ahead of the request + prefill of what the endpoint does not hold, load-gated
/// prefix credit. Not normalised: used alone with weight 1, the picker's <c>tie</c> is in milliseconds.</summary>
[SchedulingPlugin("predicted-ttft-scorer")]
internal sealed class PredictedTtftScorer : IEndpointScorer
{
    public bool UsesPrefix => true;

    public void Score(in PickInputs inputs, ReadOnlySpan<int> candidates, ReadOnlySpan<int> matched, Span<double> scores)
    {
        var picker = inputs.Picker;
        var perQueued = picker.PerQueuedMs;
        for (var k = 0; k < candidates.Length; k++)
            scores[k] = -picker.PredictTtft(inputs.Endpoints[candidates[k]], matched[k], inputs.PromptTokens, perQueued, inputs.NowMs);
    }
}
