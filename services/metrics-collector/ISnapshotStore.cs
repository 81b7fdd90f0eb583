using InferenceMesh.Contracts;

namespace InferenceMesh.MetricsCollector;

/// <summary>Where the latest snapshot of a pool is kept for cold starts (key <c>snapshot/{pool}</c>). Register your own before
/// <c>AddMetricsCollector</c> to replace the Dapr state store (e.g. in the embedded mode).</summary>
public interface ISnapshotStore
{
    /// <summary>Stores <paramref name="snapshot"/> as the latest of its pool.</summary>
    Task SaveAsync(PoolSnapshot snapshot, CancellationToken cancellationToken);
}
