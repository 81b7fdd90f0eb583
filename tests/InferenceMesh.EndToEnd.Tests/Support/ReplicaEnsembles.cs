namespace InferenceMesh.EndToEnd.Tests.Support;

/// <summary>Two ensembles side by side for the same workload: 3 ext-proc + 3 scheduler + 2 prefix-index replicas, and one
/// replica of each. Started one after the other (each takes a minute on a loaded machine).</summary>
public sealed class ReplicaEnsembles : IAsyncLifetime
{
    public DistributedEnsemble Replicated { get; } = new ScaledEnsemble(new EnsembleTopology(ExtProcs: 3, Schedulers: 3, PrefixIndexes: 2));

    public DistributedEnsemble OneReplica { get; } = new ScaledEnsemble(new EnsembleTopology(ExtProcs: 1, Schedulers: 1, PrefixIndexes: 1));

    public async Task InitializeAsync()
    {
        await Replicated.InitializeAsync();
        await OneReplica.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await OneReplica.DisposeAsync();
        await Replicated.DisposeAsync();
    }

    private sealed class ScaledEnsemble(EnsembleTopology topology) : DistributedEnsemble(topology);
}

/// <summary>The replica-quality tests share one <see cref="ReplicaEnsembles"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ReplicaGroup : ICollectionFixture<ReplicaEnsembles>
{
    public const string Name = "replica ensembles";
}
