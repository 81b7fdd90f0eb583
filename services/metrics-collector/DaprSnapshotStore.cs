using InferenceMesh.Contracts;
using InferenceMesh.Dapr;

namespace InferenceMesh.MetricsCollector;

/// <summary>Saves snapshots to the Dapr state store <see cref="DaprNames.StateStore"/>; last write wins (two collectors
/// both write fresh numbers, and readers judge age by <see cref="PoolSnapshot.PublishedAtUnixMs"/>).</summary>
internal sealed class DaprSnapshotStore(DaprClient client) : ISnapshotStore
{
    public Task SaveAsync(PoolSnapshot snapshot, CancellationToken cancellationToken) =>
        client.SaveStateAsync(DaprNames.StateStore, DaprNames.SnapshotKeyPrefix + snapshot.Pool, snapshot,
            ContractsJsonContext.Default.PoolSnapshot, options: null, cancellationToken);
}
