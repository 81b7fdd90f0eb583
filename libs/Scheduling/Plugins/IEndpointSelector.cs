namespace InferenceMesh.Scheduling;

/// <summary>A picker plugin: chooses the primary endpoint from the weighted totals (fallbacks follow in total order).
/// Runs under the scheduler lock; must not allocate.</summary>
internal interface IEndpointSelector
{
    /// <summary>The index into <paramref name="totals"/> of the primary; <paramref name="totals"/> is never empty.</summary>
    int Select(ReadOnlySpan<double> totals, Random random);
}
