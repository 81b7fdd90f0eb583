namespace InferenceMesh.Scheduling;

/// <summary>A filter plugin: narrows the candidates of one pick. Runs under the scheduler lock; must not allocate.</summary>
internal interface IEndpointFilter
{
    /// <summary>Keeps some of <paramref name="candidates"/> (endpoint indices) and their <paramref name="matched"/> prefix blocks,
    /// compacted to the front of both spans in the same order.</summary>
    /// <returns>How many were kept; 0 leaves the pick without a candidate.</returns>
    int Filter(in PickInputs inputs, Span<int> candidates, Span<int> matched);
}
