using System.Text.Json;
using Dapr.Client;
using InferenceMesh.Contracts;

namespace InferenceMesh.MetricsCollector;

/// <summary>Saves snapshots to the Dapr state store <see cref="DaprNames.StateStore"/>; last write wins (two collectors
/// both write fresh numbers, and readers judge age by <see cref="PoolSnapshot.PublishedAtUnixMs"/>).</summary>
internal sealed class DaprSnapshotStore(DaprClient client) : ISnapshotStore
{
    public Task SaveAsync(PoolSnapshot snapshot, CancellationToken cancellationToken) =>
        client.SaveByteStateAsync(DaprNames.StateStore, DaprNames.SnapshotKeyPrefix + snapshot.Pool,
            JsonSerializer.SerializeToUtf8Bytes(snapshot, ContractsJsonContext.Default.PoolSnapshot), cancellationToken: cancellationToken);
}
