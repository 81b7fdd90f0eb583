using k8s;
using k8s.Models;

namespace InferenceMesh.Kubernetes;

/// <summary>Pods of one namespace matching a label selector, through <c>CoreV1</c>.</summary>
internal sealed class PodListWatch(IKubernetes client, string @namespace, string? labelSelector) : ListWatch<V1Pod>
{
    private const int PageSize = 500;

    public override string Description => $"api/v1/namespaces/{@namespace}/pods?labelSelector={labelSelector}";

    public override string? LabelSelector => labelSelector;

    public override async Task<ListPage<V1Pod>> ListPageAsync(string? continueToken, CancellationToken cancellationToken)
    {
        var list = await client.CoreV1.ListNamespacedPodAsync(@namespace, continueParameter: continueToken, labelSelector: labelSelector,
            limit: PageSize, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new ListPage<V1Pod>(list.Items is { } items ? [.. items] : [], list.Metadata?.ResourceVersion, list.Metadata?.ContinueProperty);
    }

    public override IAsyncEnumerable<(WatchEventType Type, V1Pod Item)> WatchAsync(string resourceVersion, int timeoutSeconds,
        Action<Exception> onError, CancellationToken cancellationToken) =>
        client.CoreV1.WatchListNamespacedPodAsync(@namespace, allowWatchBookmarks: true, labelSelector: labelSelector,
            resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: cancellationToken);

    public override string? Key(V1Pod item) =>
        item.Metadata?.Name is { Length: > 0 } name ? $"{item.Metadata.NamespaceProperty ?? "default"}/{name}" : null;

    public override string? ResourceVersion(V1Pod item) => item.Metadata?.ResourceVersion;
}
