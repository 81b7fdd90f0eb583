using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace InferenceMesh.Dapr;

/// <summary>A subscription declared in code: the topic, the app route the sidecar delivers to, and the handler that
/// takes the payload (also delivered to by the in-memory bus).</summary>
public sealed class DaprSubscription
{
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask<TopicResult>> _fromJson;
    private readonly Func<object, CancellationToken, ValueTask<TopicResult>> _fromObject;

    private DaprSubscription(string pubsubName, string topic, string route, Type dataType,
        Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask<TopicResult>> fromJson,
        Func<object, CancellationToken, ValueTask<TopicResult>> fromObject)
    {
        PubSubName = pubsubName;
        Topic = topic;
        Route = route;
        DataType = dataType;
        _fromJson = fromJson;
        _fromObject = fromObject;
    }

    public string PubSubName { get; }

    public string Topic { get; }

    /// <summary>App route the sidecar POSTs deliveries to (starts with '/').</summary>
    public string Route { get; }

    /// <summary>The payload type the handler takes.</summary>
    public Type DataType { get; }

    /// <summary>Declares a subscription whose payload is JSON for <typeparamref name="T"/>.</summary>
    public static DaprSubscription Create<T>(string pubsubName, string topic, string route, JsonTypeInfo<T> typeInfo,
        Func<T, CancellationToken, ValueTask<TopicResult>> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(pubsubName);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentException.ThrowIfNullOrEmpty(route);
        ArgumentNullException.ThrowIfNull(typeInfo);
        ArgumentNullException.ThrowIfNull(handler);
        return new DaprSubscription(pubsubName, topic, route[0] == '/' ? route : "/" + route, typeof(T),
            (json, ct) =>
            {
                T? data;
                try
                {
                    data = JsonSerializer.Deserialize(json.Span, typeInfo);
                }
                catch (JsonException)
                {
                    // A payload that does not parse never will: retrying cannot help.
                    return ValueTask.FromResult(TopicResult.Drop);
                }
                return data is null ? ValueTask.FromResult(TopicResult.Drop) : handler(data, ct);
            },
            (obj, ct) => handler((T)obj, ct));
    }

    /// <summary>Delivers a JSON payload (the CloudEvent's <c>data</c>); unparseable payloads are dropped.</summary>
    internal ValueTask<TopicResult> DeliverJsonAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken) =>
        _fromJson(json, cancellationToken);

    /// <summary>Delivers an in-process object of exactly <see cref="DataType"/> without serializing it.</summary>
    internal ValueTask<TopicResult> DeliverObjectAsync(object data, CancellationToken cancellationToken) =>
        _fromObject(data, cancellationToken);
}
