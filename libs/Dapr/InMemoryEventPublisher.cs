using System.Text.Json.Serialization.Metadata;

namespace InferenceMesh.Dapr;

/// <summary>Publishes onto an <see cref="InMemoryEventBus"/> shared by the services of one process.</summary>
internal sealed class InMemoryEventPublisher(InMemoryEventBus bus) : IEventPublisher
{
    public ValueTask PublishAsync<T>(string pubsubName, string topic, T data, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default) =>
        bus.PublishAsync(pubsubName, topic, data, typeInfo, cancellationToken);
}
