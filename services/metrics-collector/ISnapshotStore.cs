using InferenceMesh.Contracts;

namespace InferenceMesh.MetricsCollector;

/// <summary>Where the latest snapshot of a pool is kept for cold starts (key <c>snapshot/{pool}</c>).</summary>
internal interface ISnapshotStore
{
    Task SaveAsync(PoolSnapshot snapshot, CancellationToken cancellationToken);
}
