using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Dapr.Client;

namespace InferenceMesh.Dapr;

/// <summary>Publishes through the sidecar (Dapr.Client over gRPC; the sidecar wraps the CloudEvent). The payload is the
/// project's source-generated JSON, sent as bytes so the SDK does not serialize it again.</summary>
internal sealed class DaprEventPublisher(DaprClient client) : IEventPublisher
{
    public ValueTask PublishAsync<T>(string pubsubName, string topic, T data, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        new(client.PublishByteEventAsync(pubsubName, topic, JsonSerializer.SerializeToUtf8Bytes(data, typeInfo), "application/json", cancellationToken: cancellationToken));
}
