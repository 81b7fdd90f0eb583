using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace InferenceMesh.DaprStandIn;

/// <summary>pubsub.redis on Redis Streams: publish = XADD (stream = topic, field <c>data</c>), one consumer group per
/// <c>consumerID</c> (created at 0, so a new group replays what the stream retains), XREADGROUP deliveries as CloudEvents
/// to the app's routes, XACK on SUCCESS/DROP, and redelivery of pending entries (XAUTOCLAIM) after the processing timeout.</summary>
internal sealed class PubSubApi(DaprStandInOptions options, IDatabase redis, HttpClient appClient) : IAsyncDisposable
{
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private long _delivered;

    /// <summary>Deliveries attempted (including redeliveries).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>When true, publishing fails as a broker outage does (daprd: <c>ERR_PUBSUB_PUBLISH_MESSAGE</c>).</summary>
    public bool FailPublishes { get; set; }

    /// <summary>Wraps <paramref name="body"/> in a CloudEvent (unless raw) and appends it to the topic's stream.</summary>
    public async Task PublishAsync(string pubsubName, string topic, byte[] body, string contentType, bool raw, string? traceParent)
    {
        var component = Find(pubsubName) ?? throw StandInError.PubSubNotFound(pubsubName);
        if (FailPublishes)
            throw new StandInError(Grpc.Core.StatusCode.Internal, 500, "ERR_PUBSUB_PUBLISH_MESSAGE", $"error when publish to topic {topic} in pubsub {pubsubName}: broker unavailable");
        var payload = raw ? body : CloudEvent(body, contentType, topic, pubsubName, traceParent);
        await redis.StreamAddAsync(topic, "data", payload, maxLength: component.MaxLenApprox > 0 ? component.MaxLenApprox : null,
            useApproximateMaxLength: component.MaxLenApprox > 0);
    }

    /// <summary>Reads the app's <c>GET /dapr/subscribe</c> (field names case-insensitive, as daprd decodes them) and starts a
    /// consumer for each subscription on a known component.</summary>
    public async Task SubscribeAsync(Uri appAddress)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(appAddress, "/dapr/subscribe"));
        if (options.AppApiToken is not null)
            request.Headers.TryAddWithoutValidation("dapr-api-token", options.AppApiToken);
        using var response = await appClient.SendAsync(request);
        // daprd treats an app without the route as an app without programmatic subscriptions.
        if (response.StatusCode == HttpStatusCode.NotFound)
            return;
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        foreach (var s in doc.RootElement.EnumerateArray())
        {
            var pubsubName = Property(s, "pubsubName")?.GetString() ?? string.Empty;
            var component = Find(pubsubName);
            if (component is null)
                continue;
            var topic = Property(s, "topic")!.Value.GetString()!;
            var route = Route(s);
            var metadata = Property(s, "metadata");
            var rawPayload = metadata is { ValueKind: JsonValueKind.Object } m && Property(m, "rawPayload")?.GetString() == "true";
            var group = ConsumerGroup(component, metadata);
            await CreateGroupAsync(topic, group);
            var subscription = new Subscription(pubsubName, topic, new Uri(appAddress, route), group, group + "-" + _instance, rawPayload);
            _pumps.Add(Task.Run(() => PumpAsync(subscription)));
        }
    }

    private async Task CreateGroupAsync(string topic, string group)
    {
        try
        {
            await redis.StreamCreateConsumerGroupAsync(topic, group, "0", createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // The group exists: another replica with the same consumerID created it; they will compete.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_pumps);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        _stop.Dispose();
    }

    private static JsonElement? Property(JsonElement obj, string name)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                return p.Value;
        }
        return null;
    }

    /// <summary><c>route</c> (v1) or the default of <c>routes</c> (v2, as Dapr.AspNetCore writes it).</summary>
    private static string Route(JsonElement s)
    {
        if (Property(s, "route")?.GetString() is { Length: > 0 } route)
            return route;
        if (Property(s, "routes") is { ValueKind: JsonValueKind.Object } routes && Property(routes, "default")?.GetString() is { Length: > 0 } fallback)
            return fallback;
        throw new InvalidOperationException($"subscription without a route: {s.GetRawText()}");
    }

    private StandInPubSub? Find(string name)
    {
        foreach (var p in options.PubSubs)
        {
            if (p.Name == name)
                return p;
        }
        return null;
    }

    /// <summary>The component's consumerID, unless the subscription's metadata names one (per-subscription override).</summary>
    private string ConsumerGroup(StandInPubSub component, JsonElement? metadata)
    {
        var consumerId = metadata is { ValueKind: JsonValueKind.Object } m && Property(m, "consumerID")?.GetString() is { Length: > 0 } id
            ? id
            : component.ConsumerId;
        return consumerId switch
        {
            null or "" or "{appid}" => options.AppId,
            "{uuid}" or "{podName}" => options.AppId + "-" + _instance,
            var literal => literal,
        };
    }

    private async Task PumpAsync(Subscription s)
    {
        var token = _stop.Token;
        var lastReclaim = TimeProvider.System.GetTimestamp();
        while (!token.IsCancellationRequested)
        {
            try
            {
                var entries = await redis.StreamReadGroupAsync(s.Topic, s.Group, s.Consumer, ">", count: 10);
                await DeliverEntriesAsync(s, entries, token);
                if (TimeProvider.System.GetElapsedTime(lastReclaim) >= options.RedeliverInterval)
                {
                    lastReclaim = TimeProvider.System.GetTimestamp();
                    var claimed = await redis.StreamAutoClaimAsync(s.Topic, s.Group, s.Consumer, (long)options.ProcessingTimeout.TotalMilliseconds, "0-0", 50);
                    await DeliverEntriesAsync(s, claimed.ClaimedEntries, token);
                }
                // SE.Redis does not block on XREADGROUP (it would stall the shared connection): poll while the stream is idle.
                if (entries.Length == 0)
                    await Task.Delay(options.PollInterval, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOGROUP", StringComparison.Ordinal) && !token.IsCancellationRequested)
            {
                // The server lost the stream (restarted without persistence): daprd's pubsub.redis recreates the group too.
                await CreateGroupAsync(s.Topic, s.Group).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await Task.Delay(50, token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (RedisException) when (!token.IsCancellationRequested)
            {
                await Task.Delay(50, token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task DeliverEntriesAsync(Subscription s, StreamEntry[] entries, CancellationToken token)
    {
        foreach (var entry in entries)
        {
            if (entry.IsNull)
                continue;
            var data = (byte[]?)entry["data"] ?? [];
            if (await DeliverAsync(s, data, token))
                await redis.StreamAcknowledgeAsync(s.Topic, s.Group, entry.Id);
        }
    }

    /// <summary>True when the message is done with (SUCCESS, DROP, 404); false leaves it pending for redelivery.</summary>
    private async Task<bool> DeliverAsync(Subscription s, byte[] data, CancellationToken token)
    {
        Interlocked.Increment(ref _delivered);
        var body = !s.RawPayload && IsCloudEvent(data) ? data : WrapRaw(data, s);
        using var request = new HttpRequestMessage(HttpMethod.Post, s.Route) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json");
        if (options.AppApiToken is not null)
            request.Headers.TryAddWithoutValidation("dapr-api-token", options.AppApiToken);
        try
        {
            using var response = await appClient.SendAsync(request, token);
            if (response.StatusCode == HttpStatusCode.NotFound)
                return true;
            if (!response.IsSuccessStatusCode)
                return false;
            var text = await response.Content.ReadAsByteArrayAsync(token);
            if (text.Length == 0)
                return true;
            using var doc = JsonDocument.Parse(text);
            var status = doc.RootElement.ValueKind == JsonValueKind.Object && Property(doc.RootElement, "status") is { } st ? st.GetString() : null;
            return status is null or "" or "SUCCESS" or "DROP";
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (JsonException)
        {
            return true;
        }
    }

    private static bool IsCloudEvent(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("specversion"u8))
                    return true;
                reader.Read();
                reader.Skip();
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private byte[] WrapRaw(byte[] data, Subscription s)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteAttributes(writer, s.Topic, s.PubSubName, "application/octet-stream", null);
            writer.WriteBase64String("data_base64", data);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private byte[] CloudEvent(byte[] body, string contentType, string topic, string pubsubName, string? traceParent)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            var mediaType = contentType.Split(';')[0].Trim();
            WriteAttributes(writer, topic, pubsubName, mediaType, string.IsNullOrEmpty(traceParent) ? null : traceParent);
            if (mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase) && IsJson(body))
            {
                writer.WritePropertyName("data");
                writer.WriteRawValue(body);
            }
            else if (mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
            {
                writer.WriteString("data", Encoding.UTF8.GetString(body));
            }
            else
            {
                writer.WriteBase64String("data_base64", body);
            }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private void WriteAttributes(Utf8JsonWriter writer, string topic, string pubsubName, string contentType, string? traceParent)
    {
        writer.WriteString("specversion", "1.0");
        writer.WriteString("id", Guid.NewGuid().ToString());
        writer.WriteString("source", options.AppId);
        writer.WriteString("type", "com.dapr.event.sent");
        writer.WriteString("datacontenttype", contentType);
        writer.WriteString("topic", topic);
        writer.WriteString("pubsubname", pubsubName);
        writer.WriteString("time", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        if (traceParent is not null)
            writer.WriteString("traceparent", traceParent);
    }

    private static bool IsJson(byte[] body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private sealed record Subscription(string PubSubName, string Topic, Uri Route, string Group, string Consumer, bool RawPayload);
}
