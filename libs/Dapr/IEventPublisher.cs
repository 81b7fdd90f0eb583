using System.Text.Json.Serialization.Metadata;

namespace InferenceMesh.Dapr;

/// <summary>Publishes events to a topic: through the Dapr sidecar in the distributed mode, in-process when embedded.</summary>
public interface IEventPublisher
{
    /// <summary>Publishes <paramref name="data"/> to <paramref name="topic"/> on <paramref name="pubsubName"/>; returns once the broker (or bus) accepted it.</summary>
    ValueTask PublishAsync<T>(string pubsubName, string topic, T data, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default);
}
