namespace InferenceMesh.Scheduling;

/// <summary>The approximate index's match for the chosen endpoint at the pick: <see cref="MatchedBlocks"/> of the
/// prompt's <see cref="TotalBlocks"/> hashed blocks. The default (<see cref="TotalBlocks"/> 0) promises nothing.</summary>
internal readonly record struct PrefixPromise(int MatchedBlocks, int TotalBlocks)
{
    public bool Made => TotalBlocks > 0;
}
