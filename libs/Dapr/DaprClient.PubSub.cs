using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace InferenceMesh.Dapr;

public sealed partial class DaprClient
{
    /// <summary>Publishes <paramref name="data"/> as JSON; the sidecar wraps it in a CloudEvent (unless <see cref="DaprMetadata.RawPayload"/> is set).</summary>
    public Task PublishEventAsync<T>(string pubsubName, string topic, T data, JsonTypeInfo<T> typeInfo, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
            JsonSerializer.Serialize(writer, data, typeInfo);
        return PublishRawAsync(pubsubName, topic, buffer.WrittenMemory, "application/json", metadata, cancellationToken);
    }

    /// <summary>Publishes bytes with their content type; metadata goes on the query string as <c>metadata.{key}</c>.</summary>
    public async Task PublishRawAsync(string pubsubName, string topic, ReadOnlyMemory<byte> payload, string contentType, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pubsubName);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        var path = new StringBuilder("v1.0/publish/").Append(Escape(pubsubName)).Append('/').Append(Escape(topic));
        AppendMetadataQuery(path, metadata);
        using var request = NewRequest(HttpMethod.Post, path.ToString());
        request.Content = new ReadOnlyMemoryContent(payload);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(response, $"publish {pubsubName}/{topic}", cancellationToken).ConfigureAwait(false);
    }

    private static void AppendMetadataQuery(StringBuilder path, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is not { Count: > 0 })
            return;
        var first = true;
        foreach (var (key, value) in metadata)
        {
            path.Append(first ? '?' : '&').Append("metadata.").Append(Escape(key)).Append('=').Append(Escape(value));
            first = false;
        }
    }
}
