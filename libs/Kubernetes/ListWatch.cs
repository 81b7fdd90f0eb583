using k8s;

namespace InferenceMesh.Kubernetes;

/// <summary>The list and watch calls of one resource collection, made with KubernetesClient.</summary>
/// <typeparam name="T">The item type: <c>V1Pod</c>, or <c>JsonElement</c> for custom resources.</typeparam>
internal abstract class ListWatch<T>
{
    /// <summary>The collection's path, for logs.</summary>
    public abstract string Description { get; }

    /// <summary>The label selector the collection is filtered by, if any.</summary>
    public abstract string? LabelSelector { get; }

    /// <summary>One page of a list; <c>Continue</c> is null on the last page.</summary>
    public abstract Task<ListPage<T>> ListPageAsync(string? continueToken, CancellationToken cancellationToken);

    /// <summary>A watch from <paramref name="resourceVersion"/> with bookmarks; Status (ERROR) events go to <paramref name="onError"/>.</summary>
    public abstract IAsyncEnumerable<(WatchEventType Type, T Item)> WatchAsync(string resourceVersion, int timeoutSeconds,
        Action<Exception> onError, CancellationToken cancellationToken);

    /// <summary><c>namespace/name</c> of <paramref name="item"/>; null when it has no name.</summary>
    public abstract string? Key(T item);

    /// <summary>metadata.resourceVersion of <paramref name="item"/> (or of a BOOKMARK's object).</summary>
    public abstract string? ResourceVersion(T item);
}

/// <summary>One page of a list call.</summary>
internal sealed record ListPage<T>(IReadOnlyList<T> Items, string? ResourceVersion, string? Continue);
