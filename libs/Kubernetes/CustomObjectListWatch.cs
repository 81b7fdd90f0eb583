using System.Text.Json;
using k8s;

namespace InferenceMesh.Kubernetes;

/// <summary>Namespaced custom resources of one group/version/plural, through <c>CustomObjects</c>; objects stay JSON
/// (<see cref="InferenceResources"/> reads both API versions and the local file from it).</summary>
internal sealed class CustomObjectListWatch(IKubernetes client, string @namespace, string group, string version, string plural)
    : ListWatch<JsonElement>
{
    private const int PageSize = 500;

    public override string Description => $"apis/{group}/{version}/namespaces/{@namespace}/{plural}";

    public override string? LabelSelector => null;

    public override async Task<ListPage<JsonElement>> ListPageAsync(string? continueToken, CancellationToken cancellationToken)
    {
        var body = await client.CustomObjects.ListNamespacedCustomObjectAsync(group, version, @namespace, plural,
            continueParameter: continueToken, limit: PageSize, cancellationToken: cancellationToken).ConfigureAwait(false);
        var root = AsJson(body);
        var items = new List<JsonElement>();
        if (Json.TryGetArray(root, "items", out var array))
        {
            foreach (var item in array.EnumerateArray())
                items.Add(item);
        }
        Json.TryGetObject(root, "metadata", out var meta);
        return new ListPage<JsonElement>(items, Json.GetString(meta, "resourceVersion"), Json.GetString(meta, "continue") is { Length: > 0 } c ? c : null);
    }

    public override async IAsyncEnumerable<(WatchEventType Type, JsonElement Item)> WatchAsync(string resourceVersion, int timeoutSeconds,
        Action<Exception> onError, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var events = client.CustomObjects.WatchListNamespacedCustomObjectAsync(group, version, @namespace, plural, allowWatchBookmarks: true,
            resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: cancellationToken);
        await foreach (var (type, item) in events.ConfigureAwait(false))
            yield return (type, AsJson(item));
    }

    // KubernetesJson reads untyped bodies as JsonElement; anything else means a different serializer is configured.
    private static JsonElement AsJson(object? body) =>
        body is JsonElement e ? e : throw new JsonException($"expected a JSON object from the API server, got {body?.GetType().Name ?? "null"}");

    public override string? Key(JsonElement item) => InferenceResources.Key(item);

    public override string? ResourceVersion(JsonElement item) =>
        Json.TryGetObject(item, "metadata", out var meta) ? Json.GetString(meta, "resourceVersion") : null;
}
