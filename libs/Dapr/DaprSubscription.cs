using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace InferenceMesh.Dapr;

/// <summary>A subscription declared in code: where messages of a topic are delivered and the handler that takes them.</summary>
public sealed class DaprSubscription
{
    private readonly Func<ReadOnlyMemory<byte>, CloudEventInfo, CancellationToken, ValueTask<TopicResult>> _fromJson;
    private readonly Func<object, CloudEventInfo, CancellationToken, ValueTask<TopicResult>> _fromObject;

    private DaprSubscription(
        string pubsubName, string topic, string route, SubscriptionOptions? options, Type dataType,
        Func<ReadOnlyMemory<byte>, CloudEventInfo, CancellationToken, ValueTask<TopicResult>> fromJson,
        Func<object, CloudEventInfo, CancellationToken, ValueTask<TopicResult>> fromObject)
    {
        PubSubName = pubsubName;
        Topic = topic;
        Route = route;
        Metadata = options?.Metadata ?? new Dictionary<string, string>();
        DeadLetterTopic = options?.DeadLetterTopic;
        DataType = dataType;
        _fromJson = fromJson;
        _fromObject = fromObject;
    }

    public string PubSubName { get; }

    public string Topic { get; }

    /// <summary>App route the sidecar POSTs deliveries to (starts with '/').</summary>
    public string Route { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public string? DeadLetterTopic { get; }

    /// <summary>The payload type the handler takes.</summary>
    public Type DataType { get; }

    /// <summary>Declares a subscription whose payload is JSON for <typeparamref name="T"/>.</summary>
    public static DaprSubscription Create<T>(string pubsubName, string topic, string route, JsonTypeInfo<T> typeInfo,
        Func<TopicEvent<T>, CancellationToken, ValueTask<TopicResult>> handler, SubscriptionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(pubsubName);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentException.ThrowIfNullOrEmpty(route);
        ArgumentNullException.ThrowIfNull(typeInfo);
        ArgumentNullException.ThrowIfNull(handler);
        return new DaprSubscription(pubsubName, topic, route[0] == '/' ? route : "/" + route, options, typeof(T),
            (json, info, ct) =>
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
                return data is null ? ValueTask.FromResult(TopicResult.Drop) : handler(ToEvent(data, info), ct);
            },
            (obj, info, ct) => handler(ToEvent((T)obj, info), ct));
    }

    /// <summary>Delivers a JSON payload (the CloudEvent's <c>data</c>); unparseable payloads are dropped.</summary>
    internal ValueTask<TopicResult> DeliverJsonAsync(ReadOnlyMemory<byte> json, CloudEventInfo info, CancellationToken cancellationToken) =>
        _fromJson(json, info, cancellationToken);

    /// <summary>Delivers an in-process object of exactly <see cref="DataType"/> without serializing it.</summary>
    internal ValueTask<TopicResult> DeliverObjectAsync(object data, CloudEventInfo info, CancellationToken cancellationToken) =>
        _fromObject(data, info, cancellationToken);

    private static TopicEvent<T> ToEvent<T>(T data, CloudEventInfo info) =>
        new(data, info.Id, info.Topic, info.PubSubName, info.Source, info.Type, info.TraceParent);
}
