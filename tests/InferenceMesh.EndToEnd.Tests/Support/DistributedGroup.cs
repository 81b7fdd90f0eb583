namespace InferenceMesh.EndToEnd.Tests.Support;

/// <summary>The test classes that share one <see cref="DistributedEnsemble"/> (it takes a minute to start).</summary>
[CollectionDefinition(Name)]
public sealed class DistributedGroup : ICollectionFixture<DistributedEnsemble>
{
    public const string Name = "distributed ensemble";
}
