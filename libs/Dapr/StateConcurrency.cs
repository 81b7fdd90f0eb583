namespace InferenceMesh.Dapr;

/// <summary>Dapr's <c>options.concurrency</c>: with an ETag, first-write wins; without, last-write wins.</summary>
public enum StateConcurrency
{
    /// <summary>Leave the store's default.</summary>
    Default,
    FirstWrite,
    LastWrite,
}
