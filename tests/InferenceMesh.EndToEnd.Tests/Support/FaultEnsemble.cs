namespace InferenceMesh.EndToEnd.Tests.Support;

/// <summary>The ensemble the fault tests break: 3 ext-proc, 3 scheduler and 2 prefix-index replicas, one collector, a fifth
/// model server that can be killed, and schedulers that forget an unanswered dispatch after 5 s (lost completions).</summary>
public sealed class FaultEnsemble() : DistributedEnsemble(new EnsembleTopology(ExtProcs: 3, Schedulers: 3, PrefixIndexes: 2, ExtraServer: true)
{
    SchedulerEnvironment = new Dictionary<string, string> { ["Scheduler__InFlightExpiryMs"] = InFlightExpiryMs.ToString(System.Globalization.CultureInfo.InvariantCulture) },
})
{
    public const int InFlightExpiryMs = 5000;
}

/// <summary>The fault test classes share one <see cref="FaultEnsemble"/>.</summary>
[CollectionDefinition(Name)]
public sealed class FaultGroup : ICollectionFixture<FaultEnsemble>
{
    public const string Name = "fault ensemble";
}
