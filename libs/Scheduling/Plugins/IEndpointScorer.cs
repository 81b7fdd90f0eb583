namespace InferenceMesh.Scheduling;

/// <summary>A scorer plugin: one value per candidate, higher is better (0..1 for the normalised scorers). The profile
/// multiplies it by the scorer's weight and sums. Runs under the scheduler lock; must not allocate.</summary>
internal interface IEndpointScorer
{
    /// <summary>Whether the scorer reads prefix matches (so the prefix index is asked at all).</summary>
    bool UsesPrefix => false;

    /// <summary>Writes the score of <c>candidates[k]</c> to <c>scores[k]</c>.</summary>
    void Score(in PickInputs inputs, ReadOnlySpan<int> candidates, ReadOnlySpan<int> matched, Span<double> scores);
}
