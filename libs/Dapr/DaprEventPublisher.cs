using System.Text.Json.Serialization.Metadata;

namespace InferenceMesh.Dapr;

/// <summary>Publishes through the sidecar's <c>/v1.0/publish</c> (the sidecar wraps the CloudEvent).</summary>
internal sealed class DaprEventPublisher(DaprClient client) : IEventPublisher
{
    public ValueTask PublishAsync<T>(string pubsubName, string topic, T data, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        new(client.PublishEventAsync(pubsubName, topic, data, typeInfo, metadata: null, cancellationToken));
}
