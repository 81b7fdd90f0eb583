namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>The collector's sequence number of each snapshot, keyed by its publication time: numbered in the order they
/// are first seen, so every replica of a run gives a snapshot the same number, as the collector does.</summary>
internal sealed class SnapshotSequences
{
    private long _last;
    private long _lastPublishedMs = long.MinValue;

    public long Of(long publishedMs)
    {
        if (publishedMs > _lastPublishedMs)
        {
            _lastPublishedMs = publishedMs;
            _last++;
        }
        return _last;
    }
}
