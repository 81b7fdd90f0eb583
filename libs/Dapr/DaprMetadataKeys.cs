namespace InferenceMesh.Dapr;

/// <summary>Well-known Dapr request and subscription metadata keys.</summary>
public static class DaprMetadataKeys
{
    /// <summary>Publish without the CloudEvent envelope (<c>metadata.rawPayload=true</c>); subscribers must declare it too.</summary>
    public const string RawPayload = "rawPayload";

    /// <summary>Message or state time-to-live in seconds.</summary>
    public const string TtlInSeconds = "ttlInSeconds";

    /// <summary>Partition / ordering key of a message.</summary>
    public const string PartitionKey = "partitionKey";
}
