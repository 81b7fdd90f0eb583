using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace InferenceMesh.Dapr;

public sealed partial class DaprClient
{
    /// <summary>Reads one key; null when it does not exist (the sidecar answers 204).</summary>
    public async Task<RawStateEntry?> GetStateRawAsync(string storeName, string key, StateConsistency consistency = StateConsistency.Default, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeName);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var path = $"v1.0/state/{Escape(storeName)}/{Escape(key)}";
        if (consistency != StateConsistency.Default)
            path += "?consistency=" + ConsistencyName(consistency);
        using var request = NewRequest(HttpMethod.Get, path);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NoContent)
            return null;
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(response, $"state get {storeName}/{key}", cancellationToken).ConfigureAwait(false);
        var data = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var etag = response.Headers.NonValidated.TryGetValues("ETag", out var values) ? Unquote(values.ToString()) : null;
        return new RawStateEntry(key, data, etag);
    }

    /// <summary>Reads one key and deserializes it; null when it does not exist.</summary>
    public async Task<StateEntry<T>?> GetStateAsync<T>(string storeName, string key, JsonTypeInfo<T> typeInfo, StateConsistency consistency = StateConsistency.Default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var raw = await GetStateRawAsync(storeName, key, consistency, cancellationToken).ConfigureAwait(false);
        if (raw is null || raw.Data.IsEmpty)
            return null;
        return new StateEntry<T>(key, Deserialize(raw.Data.Span, typeInfo, storeName, key), raw.ETag);
    }

    /// <summary>Reads many keys in one call; missing keys come back with empty data and no ETag, in request order.</summary>
    public async Task<IReadOnlyList<RawStateEntry>> GetBulkStateRawAsync(string storeName, IReadOnlyList<string> keys, int parallelism = 10, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeName);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
            return [];
        var buffer = new ArrayBufferWriter<byte>(64 + (keys.Count * 24));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys"u8);
            foreach (var key in keys)
                writer.WriteStringValue(key);
            writer.WriteEndArray();
            writer.WriteNumber("parallelism"u8, Math.Max(1, parallelism));
            writer.WriteEndObject();
        }
        using var request = NewRequest(HttpMethod.Post, $"v1.0/state/{Escape(storeName)}/bulk");
        request.Content = JsonContent(buffer);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(response, $"state bulk get {storeName}", cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return ParseBulk(body, keys);
    }

    /// <summary>Reads many keys and deserializes the ones that exist (missing keys are left out).</summary>
    public async Task<IReadOnlyList<StateEntry<T>>> GetBulkStateAsync<T>(string storeName, IReadOnlyList<string> keys, JsonTypeInfo<T> typeInfo, int parallelism = 10, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        var raw = await GetBulkStateRawAsync(storeName, keys, parallelism, cancellationToken).ConfigureAwait(false);
        var result = new List<StateEntry<T>>(raw.Count);
        foreach (var item in raw)
        {
            if (item.Error is not null)
                throw new DaprApiException($"Dapr state bulk get {storeName}/{item.Key} failed: {item.Error}", HttpStatusCode.OK, "ERR_STATE_BULK_GET");
            if (!item.Data.IsEmpty)
                result.Add(new StateEntry<T>(item.Key, Deserialize(item.Data.Span, typeInfo, storeName, item.Key), item.ETag));
        }
        return result;
    }

    /// <summary>Saves one value; with <see cref="StateWriteOptions.ETag"/> set a lost race throws <see cref="DaprETagMismatchException"/>.</summary>
    public Task SaveStateAsync<T>(string storeName, string key, T value, JsonTypeInfo<T> typeInfo, StateWriteOptions? options = null, CancellationToken cancellationToken = default) =>
        SaveStatesAsync(storeName, [StateSaveItem.Create(key, value, typeInfo, options)], cancellationToken);

    /// <summary>Saves several values in one call (not atomic: use <see cref="ExecuteStateTransactionAsync"/> for that).</summary>
    public async Task SaveStatesAsync(string storeName, IReadOnlyList<StateSaveItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeName);
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
            return;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var item in items)
                WriteSetRequest(writer, item.Key, item.JsonValue, item.Options, includeValue: true);
            writer.WriteEndArray();
        }
        using var request = NewRequest(HttpMethod.Post, $"v1.0/state/{Escape(storeName)}");
        request.Content = JsonContent(buffer);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(response, $"state save {storeName}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes one key; with an ETag only if it still matches (<c>If-Match</c>), else <see cref="DaprETagMismatchException"/>.</summary>
    public async Task DeleteStateAsync(string storeName, string key, string? etag = null, StateConcurrency concurrency = StateConcurrency.Default, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeName);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var path = $"v1.0/state/{Escape(storeName)}/{Escape(key)}";
        if (concurrency != StateConcurrency.Default)
            path += "?concurrency=" + ConcurrencyName(concurrency);
        using var request = NewRequest(HttpMethod.Delete, path);
        if (etag is not null)
            request.Headers.TryAddWithoutValidation("If-Match", etag);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(response, $"state delete {storeName}/{key}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies upserts and deletes atomically (stores with the TRANSACTIONAL feature).</summary>
    public async Task ExecuteStateTransactionAsync(string storeName, IReadOnlyList<StateOperation> operations, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeName);
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count == 0)
            return;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("operations"u8);
            foreach (var op in operations)
            {
                writer.WriteStartObject();
                writer.WriteString("operation"u8, op.IsDelete ? "delete"u8 : "upsert"u8);
                writer.WritePropertyName("request"u8);
                if (op.IsDelete)
                    WriteSetRequest(writer, op.Key, default, op.Options, includeValue: false);
                else
                    WriteSetRequest(writer, op.Key, op.UpsertItem!.JsonValue, op.Options, includeValue: true);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            if (metadata is { Count: > 0 })
                WriteMetadata(writer, metadata);
            writer.WriteEndObject();
        }
        using var request = NewRequest(HttpMethod.Post, $"v1.0/state/{Escape(storeName)}/transaction");
        request.Content = JsonContent(buffer);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(response, $"state transaction {storeName}", cancellationToken).ConfigureAwait(false);
    }

    private static void WriteSetRequest(Utf8JsonWriter writer, string key, ReadOnlyMemory<byte> value, StateWriteOptions? options, bool includeValue)
    {
        writer.WriteStartObject();
        writer.WriteString("key"u8, key);
        if (includeValue)
        {
            writer.WritePropertyName("value"u8);
            if (value.IsEmpty)
                writer.WriteNullValue();
            else
                writer.WriteRawValue(value.Span, skipInputValidation: false);
        }
        if (options is not null)
        {
            if (options.ETag is not null)
                writer.WriteString("etag"u8, options.ETag);
            if (options.TtlInSeconds is { } ttl)
            {
                writer.WriteStartObject("metadata"u8);
                writer.WriteString("ttlInSeconds"u8, ttl.ToString(System.Globalization.CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            }
            if (options.Concurrency != StateConcurrency.Default || options.Consistency != StateConsistency.Default)
            {
                writer.WriteStartObject("options"u8);
                if (options.Concurrency != StateConcurrency.Default)
                    writer.WriteString("concurrency"u8, ConcurrencyName(options.Concurrency));
                if (options.Consistency != StateConsistency.Default)
                    writer.WriteString("consistency"u8, ConsistencyName(options.Consistency));
                writer.WriteEndObject();
            }
        }
        writer.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> metadata)
    {
        writer.WriteStartObject("metadata"u8);
        foreach (var (k, v) in metadata)
            writer.WriteString(k, v);
        writer.WriteEndObject();
    }

    private static string ConcurrencyName(StateConcurrency c) => c == StateConcurrency.FirstWrite ? "first-write" : "last-write";

    private static string ConsistencyName(StateConsistency c) => c == StateConsistency.Strong ? "strong" : "eventual";

    private static string? Unquote(string? etag) =>
        etag is { Length: >= 2 } && etag[0] == '"' && etag[^1] == '"' ? etag[1..^1] : etag;

    private static T Deserialize<T>(ReadOnlySpan<byte> data, JsonTypeInfo<T> typeInfo, string store, string key)
    {
        try
        {
            return JsonSerializer.Deserialize(data, typeInfo)
                ?? throw new DaprApiException($"Dapr state {store}/{key} holds JSON null", HttpStatusCode.OK, "ERR_DESERIALIZE");
        }
        catch (JsonException ex)
        {
            throw new DaprApiException($"Dapr state {store}/{key} is not a valid {typeof(T).Name}: {ex.Message}", HttpStatusCode.OK, "ERR_DESERIALIZE", ex);
        }
    }

    /// <summary>Parses <c>[{key, data, etag, error}]</c>; <c>data</c> is any JSON value (kept as its raw bytes).</summary>
    internal static List<RawStateEntry> ParseBulk(byte[] body, IReadOnlyList<string> requested)
    {
        var byKey = new Dictionary<string, RawStateEntry>(requested.Count, StringComparer.Ordinal);
        using (var doc = JsonDocument.Parse(body))
        {
            foreach (var element in doc.RootElement.EnumerateArray())
            {
                string? key = null, etag = null, error = null;
                ReadOnlyMemory<byte> data = default;
                foreach (var property in element.EnumerateObject())
                {
                    switch (property.Name)
                    {
                        case "key":
                            key = property.Value.GetString();
                            break;
                        case "etag":
                            etag = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                            break;
                        case "error":
                            error = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                            break;
                        case "data":
                            if (property.Value.ValueKind != JsonValueKind.Null)
                                data = Encoding.UTF8.GetBytes(property.Value.GetRawText());
                            break;
                        default:
                            break;
                    }
                }
                if (key is not null)
                    byKey[key] = new RawStateEntry(key, data, string.IsNullOrEmpty(etag) ? null : etag, string.IsNullOrEmpty(error) ? null : error);
            }
        }
        var ordered = new List<RawStateEntry>(requested.Count);
        foreach (var key in requested)
            ordered.Add(byKey.TryGetValue(key, out var entry) ? entry : new RawStateEntry(key, default, null));
        return ordered;
    }
}
