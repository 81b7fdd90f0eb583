using System.Buffers;

namespace InferenceMesh.Scheduling;

/// <summary><c>prefill-work-filter</c>: keeps the candidates whose <c>prefill-work-scorer</c> cost is within <c>slack</c> ms of
/// the cheapest, when the fleet is under pressure (every candidate has requests waiting or its KV over the threshold) and the
/// candidates hold different lengths of the prompt; otherwise keeps them all. It bounds how far one prefix group spreads
/// under overload: the saturation gate ranks the endpoints it counts as full after those with room, and without this
/// filter a request released from the queue goes to whichever server freed a slot first, however cold — the group ends up
/// on every server and each cache thrashes (docs/benchmarks/goodput.md). With it, that ranking acts only among the
/// placements the fleet can afford.</summary>
[SchedulingPlugin("prefill-work-filter")]
internal sealed class PrefillWorkFilter(PluginParameters parameters) : IEndpointFilter, IPlacementAware
{
    /// <summary>Candidates whose costs the filter keeps on the stack (8 bytes each); larger pools rent an array.</summary>
    internal const int StackCandidates = 256;

    private readonly double _slackMs = parameters.Double("slack", 0, 0, 1e9);
    private readonly double _pressureWeight = parameters.Double("pressureWeight", PrefillWorkScorer.DefaultPressureWeight, 0, 1000);

    public int Filter(in PickInputs inputs, Span<int> candidates, Span<int> matched)
    {
        // The cheap checks first: with one candidate, or none holding more of the prompt than another, the pressure is not needed.
        if (candidates.Length < 2 || !MatchesDiffer(matched))
            return candidates.Length;
        var pressure = PrefillWorkScorer.Pressure(inputs, candidates, _pressureWeight);
        if (pressure <= 0)
            return candidates.Length;
        // Each candidate's cost once (the cost model is the pick's largest term): on the stack for any pool up to
        // StackCandidates endpoints, rented beyond it, so the filter allocates nothing either way.
        double[]? rented = null;
        var costs = candidates.Length <= StackCandidates
            ? stackalloc double[candidates.Length]
            : (rented = ArrayPool<double>.Shared.Rent(candidates.Length)).AsSpan(0, candidates.Length);
        var endpoints = inputs.Endpoints;
        var perQueued = inputs.Picker.PerQueuedMs;
        var best = double.PositiveInfinity;
        for (var k = 0; k < candidates.Length; k++)
        {
            costs[k] = PrefillWorkScorer.Cost(inputs, endpoints[candidates[k]], matched[k], perQueued, pressure);
            best = Math.Min(best, costs[k]);
        }
        var limit = best + _slackMs;
        var kept = 0;
        for (var k = 0; k < candidates.Length; k++)
        {
            if (costs[k] > limit)
                continue;
            candidates[kept] = candidates[k];
            matched[kept] = matched[k];
            kept++;
        }
        if (rented is not null)
            ArrayPool<double>.Shared.Return(rented);
        return kept;
    }

    /// <summary>Whether some candidate holds more of the prompt than another. When none does (no prefix anywhere, or one every
    /// server holds), there is no locality to keep: the work term is the same everywhere, and keeping only the cheapest would
    /// stop the gate's full-last ranking from sending the request where the room is (on a mixed fleet, the fast servers).</summary>
    private static bool MatchesDiffer(ReadOnlySpan<int> matched)
    {
        for (var k = 1; k < matched.Length; k++)
        {
            if (matched[k] != matched[0])
                return true;
        }
        return false;
    }
}
