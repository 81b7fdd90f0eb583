namespace InferenceMesh.Scheduling;

/// <summary><c>low-queue-filter</c>: keeps the endpoints whose waiting requests plus this replica's dispatches since the scrape
/// are at most <c>threshold</c> (default 5); when none is, keeps them all.</summary>
[SchedulingPlugin("low-queue-filter")]
internal sealed class LowQueueFilter(PluginParameters parameters) : IEndpointFilter
{
    private readonly double _threshold = parameters.Double("threshold", 5, 0, 1_000_000);

    public int Filter(in PickInputs inputs, Span<int> candidates, Span<int> matched)
    {
        var kept = 0;
        for (var k = 0; k < candidates.Length; k++)
        {
            var e = inputs.Endpoints[candidates[k]];
            if (e.Waiting + e.SinceSnapshot > _threshold)
                continue;
            candidates[kept] = candidates[k];
            matched[kept] = matched[k];
            kept++;
        }
        return kept > 0 ? kept : candidates.Length;
    }
}
