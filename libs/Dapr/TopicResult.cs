namespace InferenceMesh.Dapr;

/// <summary>What a subscription handler tells the sidecar: acknowledge, deliver again later, or discard.</summary>
public enum TopicResult
{
    Success,
    Retry,
    Drop,
}
