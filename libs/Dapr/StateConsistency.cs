namespace InferenceMesh.Dapr;

/// <summary>Dapr's <c>options.consistency</c>.</summary>
public enum StateConsistency
{
    /// <summary>Leave the store's default.</summary>
    Default,
    Eventual,
    Strong,
}
