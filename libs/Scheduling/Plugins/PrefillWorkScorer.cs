namespace InferenceMesh.Scheduling;

/// <summary><c>prefill-work-scorer</c>: −(the request's predicted TTFT + P × the prefill it makes the endpoint compute), in
/// ms. P, the fleet's pressure, is the fewest requests waiting on any candidate (an endpoint whose KV use is over
/// <c>KvThreshold</c> counts as <c>QueueThreshold × kv / KvThreshold</c> at least: it evicts for every new prompt) times
/// <c>pressureWeight</c>. With a server idle, P = 0 and this is the predicted TTFT; once every server has a queue, each
/// millisecond of prefill delays the requests queued behind it, so a cache hit is capacity and a cold placement costs
/// the fleet, not only the request — locality weighs more as queues grow (the work term credits the whole hit, even on
/// an endpoint whose load makes the TTFT term withhold it). Not normalised: meant alone with weight 1 and a picker
/// <c>tie</c> in ms, and with <c>prefill-work-filter</c> when the pool queues.</summary>
[SchedulingPlugin("prefill-work-scorer")]
internal sealed class PrefillWorkScorer(PluginParameters parameters) : IEndpointScorer, IPlacementAware
{
    /// <summary>Default weight of the pressure (see the class).</summary>
    public const double DefaultPressureWeight = 10;

    private readonly double _pressureWeight = parameters.Double("pressureWeight", DefaultPressureWeight, 0, 1000);

    public bool UsesPrefix => true;

    public void Score(in PickInputs inputs, ReadOnlySpan<int> candidates, ReadOnlySpan<int> matched, Span<double> scores)
    {
        var pressure = Pressure(inputs, candidates, _pressureWeight);
        var perQueued = inputs.Picker.PerQueuedMs;
        for (var k = 0; k < candidates.Length; k++)
            scores[k] = -Cost(inputs, inputs.Endpoints[candidates[k]], matched[k], perQueued, pressure);
    }

    /// <summary>The fleet's pressure over <paramref name="candidates"/>, times <paramref name="weight"/> (0 when one is idle).</summary>
    public static double Pressure(in PickInputs inputs, ReadOnlySpan<int> candidates, double weight)
    {
        var o = inputs.Options;
        var fewest = double.MaxValue;
        foreach (var c in candidates)
        {
            var e = inputs.Endpoints[c];
            double waiting = e.EffectiveWaiting;
            if (e.KvUsage > o.KvThreshold)
                waiting = Math.Max(waiting, o.QueueThreshold * e.KvUsage / o.KvThreshold);
            fewest = Math.Min(fewest, waiting);
        }
        return candidates.IsEmpty ? 0 : weight * fewest;
    }

    /// <summary>Predicted TTFT on <paramref name="e"/> (at its measured speed) with full prefix credit + <paramref name="pressure"/> ×
    /// its uncached prefill (ms at the configured speed: a measure of the work, which the pressure weight is tuned in).</summary>
    public static double Cost(in PickInputs inputs, EndpointState e, int matchedBlocks, double perQueued, double pressure)
    {
        var t = inputs.Options.PredictedTtft;
        var prompt = inputs.PromptTokens;
        var perToken = t.PrefillMsPerToken + (t.AttentionMsPerTokenPair * prompt);
        var cached = Math.Clamp(matchedBlocks * (double)t.PrefixBlockTokens, 0, prompt - 1);
        // The request's own predicted TTFT (queue wait, prefill, KV and staleness penalties; the shared cost model), plus the
        // prefill it costs the requests queued behind it, with the whole hit credited however loaded the endpoint is.
        return inputs.Picker.PredictTtft(e, matchedBlocks, prompt, perQueued, inputs.NowMs) + (pressure * (prompt - cached) * perToken);
    }
}
