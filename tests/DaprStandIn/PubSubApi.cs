using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using InferenceMesh.Redis;
using Microsoft.AspNetCore.Http;

namespace InferenceMesh.DaprStandIn;

/// <summary>pubsub.redis on Redis Streams: publish = XADD (stream = topic, field <c>data</c>), one consumer group per
/// <c>consumerID</c> (created at 0, so a new group replays what the stream retains), XREADGROUP deliveries as CloudEvents
/// to the app's routes, XACK on SUCCESS/DROP, and redelivery of pending entries (XAUTOCLAIM) after the processing timeout.</summary>
internal sealed class PubSubApi(DaprStandInOptions options, RedisConnection redis, HttpClient appClient) : IAsyncDisposable
{
    private readonly string _instance = Guid.NewGuid().ToString("N")[..12];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly List<RedisConnection> _connections = [];
    private long _delivered;

    /// <summary>Deliveries attempted (including redeliveries).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    public async Task PublishAsync(HttpContext context, string pubsubName, string topic)
    {
        var component = Find(pubsubName);
        if (component is null)
        {
            await Errors.WriteAsync(context, 404, "ERR_PUBSUB_NOT_FOUND", $"pubsub {pubsubName} not found");
            return;
        }
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var raw = string.Equals(context.Request.Query["metadata.rawPayload"], "true", StringComparison.OrdinalIgnoreCase);
        var payload = raw
            ? body.ToArray()
            : CloudEvent(body.ToArray(), context.Request.ContentType ?? "application/json", topic, pubsubName, context.Request.Headers["traceparent"].ToString());
        if (component.MaxLenApprox > 0)
            await redis.ExecuteAsync("XADD", topic, "MAXLEN", "~", component.MaxLenApprox, "*", "data", payload);
        else
            await redis.ExecuteAsync("XADD", topic, "*", "data", payload);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>Reads the app's <c>GET /dapr/subscribe</c> and starts a consumer for each subscription on a known component.</summary>
    public async Task SubscribeAsync(Uri appAddress)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(appAddress, "/dapr/subscribe"));
        if (options.AppApiToken is not null)
            request.Headers.TryAddWithoutValidation("dapr-api-token", options.AppApiToken);
        using var response = await appClient.SendAsync(request);
        // daprd treats an app without the route as an app without programmatic subscriptions.
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return;
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        foreach (var s in doc.RootElement.EnumerateArray())
        {
            var pubsubName = s.GetProperty("pubsubname").GetString()!;
            var component = Find(pubsubName);
            if (component is null)
                continue;
            var topic = s.GetProperty("topic").GetString()!;
            var route = s.GetProperty("route").GetString()!;
            var rawPayload = s.TryGetProperty("metadata", out var m) && m.TryGetProperty("rawPayload", out var r) && r.GetString() == "true";
            var group = ConsumerGroup(component);
            try
            {
                await redis.ExecuteAsync("XGROUP", "CREATE", topic, group, "0", "MKSTREAM");
            }
            catch (RedisServerException ex) when (ex.Prefix == "BUSYGROUP")
            {
                // The group exists: another replica with the same consumerID created it; they will compete.
            }
            var connection = await RedisConnection.ConnectAsync(options.Redis);
            _connections.Add(connection);
            var subscription = new Subscription(pubsubName, topic, new Uri(appAddress, route), group, group + "-" + _instance, rawPayload);
            _pumps.Add(Task.Run(() => PumpAsync(connection, subscription)));
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
        foreach (var c in _connections)
            await c.DisposeAsync();
        _stop.Dispose();
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

    private string ConsumerGroup(StandInPubSub component) => component.ConsumerId switch
    {
        null or "" or "{appid}" => options.AppId,
        "{uuid}" or "{podName}" => options.AppId + "-" + _instance,
        var literal => literal,
    };

    private async Task PumpAsync(RedisConnection connection, Subscription s)
    {
        var token = _stop.Token;
        var lastReclaim = DateTime.UtcNow;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var reply = await connection.ExecuteAsync("XREADGROUP", ["GROUP", s.Group, s.Consumer, "COUNT", 10, "BLOCK", 100, "STREAMS", s.Topic, ">"], token);
                if (!reply.IsNull)
                {
                    for (var i = 0; i < reply.Count; i++)
                        await DeliverEntriesAsync(connection, s, reply[i][1], token);
                }
                if (DateTime.UtcNow - lastReclaim >= options.RedeliverInterval)
                {
                    lastReclaim = DateTime.UtcNow;
                    var idle = (long)options.ProcessingTimeout.TotalMilliseconds;
                    var claimed = await connection.ExecuteAsync("XAUTOCLAIM", [s.Topic, s.Group, s.Consumer, idle, "0-0", "COUNT", 50], token);
                    await DeliverEntriesAsync(connection, s, claimed[1], token);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (RedisException) when (!token.IsCancellationRequested)
            {
                await Task.Delay(50, token);
            }
        }
    }

    private async Task DeliverEntriesAsync(RedisConnection connection, Subscription s, RedisValue entries, CancellationToken token)
    {
        for (var n = 0; n < entries.Count; n++)
        {
            var entry = entries[n];
            if (entry.IsNull || entry.Count < 2 || entry[1].IsNull)
                continue;
            var id = entry[0].AsString()!;
            var fields = entry[1];
            ReadOnlyMemory<byte> data = default;
            for (var i = 0; i + 1 < fields.Count; i += 2)
            {
                if (fields[i].AsString() == "data")
                    data = fields[i + 1].AsBytes();
            }
            if (await DeliverAsync(s, data, token))
                await connection.ExecuteAsync("XACK", [s.Topic, s.Group, id], token);
        }
    }

    /// <summary>True when the message is done with (SUCCESS, DROP, 404); false leaves it pending for redelivery.</summary>
    private async Task<bool> DeliverAsync(Subscription s, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        Interlocked.Increment(ref _delivered);
        var body = !s.RawPayload && IsCloudEvent(data.Span) ? data.ToArray() : WrapRaw(data, s);
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
            var status = doc.RootElement.TryGetProperty("status", out var st) ? st.GetString() : null;
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

    private byte[] WrapRaw(ReadOnlyMemory<byte> data, Subscription s)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteAttributes(writer, s.Topic, s.PubSubName, "application/octet-stream", null);
            writer.WriteBase64String("data_base64", data.Span);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private byte[] CloudEvent(byte[] body, string contentType, string topic, string pubsubName, string traceParent)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            var mediaType = contentType.Split(';')[0].Trim();
            WriteAttributes(writer, topic, pubsubName, mediaType, traceParent.Length > 0 ? traceParent : null);
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
