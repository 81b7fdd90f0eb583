namespace InferenceMesh.EndToEnd.Tests.Support;

/// <summary>How many replicas of each service a <see cref="DistributedEnsemble"/> runs, and what else it needs.</summary>
/// <param name="ExtProcs">ext-proc replicas (one gateway each, plus one retrying gateway over all).</param>
/// <param name="Schedulers">scheduler replicas.</param>
/// <param name="PrefixIndexes">prefix-index replicas (redis backend).</param>
/// <param name="ExtraServer">A fifth model server in a fleet of its own, so a test can kill one server.</param>
public sealed record EnsembleTopology(int ExtProcs = 2, int Schedulers = 2, int PrefixIndexes = 2, bool ExtraServer = false)
{
    /// <summary>Extra environment of every scheduler replica.</summary>
    public IReadOnlyDictionary<string, string> SchedulerEnvironment { get; init; } = new Dictionary<string, string>();
}
