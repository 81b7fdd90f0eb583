namespace InferenceMesh.Scheduling;

/// <summary><c>random-picker</c>: a uniformly random candidate, whatever the scores (a baseline; fallbacks still follow the totals).</summary>
[SchedulingPlugin("random-picker")]
internal sealed class RandomPicker : IEndpointSelector
{
    public int Select(ReadOnlySpan<double> totals, Random random) => random.Next(totals.Length);
}
