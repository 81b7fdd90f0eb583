namespace InferenceMesh.Scheduling;

/// <summary>What happened to a metrics snapshot offered to the scheduler.</summary>
public enum SnapshotResult
{
    Applied = 0,

    /// <summary>Same or older sequence from the same collector (replay or redelivery).</summary>
    Replayed = 1,

    /// <summary>Published before the snapshot already held (out of order across collectors).</summary>
    OutOfOrder = 2,

    /// <summary>Malformed (no pool).</summary>
    Invalid = 3,
}
