using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Kubernetes;

/// <summary>Keeps a local copy of one resource collection: list, then watch from the list's resourceVersion, resume after a
/// dropped stream from the last seen version (bookmarks included), relist on 410 Gone, back off on errors.</summary>
public sealed partial class KubernetesInformer
{
    private readonly KubernetesApiClient _client;
    private readonly string _path;
    private readonly string? _labelSelector;
    private readonly InformerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, JsonElement> _store = new(StringComparer.Ordinal);
    private volatile FrozenDictionary<string, JsonElement> _snapshot = FrozenDictionary<string, JsonElement>.Empty;
    private int _lists;
    private volatile bool _synced;
    private volatile bool _absent;

    /// <summary>Creates an informer for <paramref name="path"/> (from <see cref="KubernetesApiClient.PodsPath"/> or
    /// <see cref="KubernetesApiClient.CustomResourcePath"/>), optionally filtered by a label selector.</summary>
    public KubernetesInformer(KubernetesApiClient client, string path, string? labelSelector, ILogger logger,
        InformerOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(logger);
        _client = client;
        _path = path;
        _labelSelector = labelSelector;
        _logger = logger;
        _options = options ?? InformerOptions.Default;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Raised (on the loop's thread) after every list and every applied ADDED/MODIFIED/DELETED event.</summary>
    public event Action<KubernetesInformer>? Changed;

    /// <summary>The current objects keyed by <c>namespace/name</c>; an immutable snapshot.</summary>
    public IReadOnlyDictionary<string, JsonElement> Items => _snapshot;

    /// <summary>Whether a first list has completed.</summary>
    public bool HasSynced => _synced;

    /// <summary>Whether the last list answered 404: the API server does not serve this resource (e.g. a CRD version
    /// that is not installed). Cleared by the next successful list.</summary>
    public bool IsAbsent => _absent;

    /// <summary>How many list calls completed (one at start, one more per 410 relist).</summary>
    public int ListCount => Volatile.Read(ref _lists);

    /// <summary>The last resourceVersion seen (from a list, an event or a bookmark).</summary>
    public string ResourceVersion { get; private set; } = string.Empty;

    /// <summary>The label selector this informer filters by.</summary>
    public string? LabelSelector => _labelSelector;

    /// <summary>Runs the list/watch loop until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = _options.InitialBackoff;
        var needList = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    var list = await _client.ListAsync(_path, _labelSelector, cancellationToken).ConfigureAwait(false);
                    Replace(list);
                    needList = false;
                }
                var events = await WatchOnceAsync(cancellationToken).ConfigureAwait(false);
                backoff = _options.InitialBackoff;
                if (events == 0)
                {
                    // A server that closes empty watches at once must not turn this loop into a busy spin.
                    await Task.Delay(_options.InitialBackoff, _time, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (KubernetesApiException ex) when (ex.IsGone)
            {
                // Our resourceVersion fell out of etcd's window: only a fresh list is consistent again.
                LogGone(_logger, _path, ResourceVersion);
                needList = true;
            }
            catch (Exception ex) when (ex is HttpRequestException or KubernetesApiException or JsonException or IOException)
            {
                LogError(_logger, _path, backoff.TotalMilliseconds, ex);
                if (needList && ex is KubernetesApiException { StatusCode: System.Net.HttpStatusCode.NotFound } && !_absent)
                {
                    _absent = true;
                    Notify();
                }
                try
                {
                    await Task.Delay(backoff, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
        }
    }

    private async Task<int> WatchOnceAsync(CancellationToken cancellationToken)
    {
        var events = 0;
        await foreach (var e in _client.WatchAsync(_path, _labelSelector, ResourceVersion, _options.WatchTimeout, cancellationToken)
                           .ConfigureAwait(false))
        {
            events++;
            switch (e.Type)
            {
                case WatchEventType.Error:
                    throw KubernetesApiClient.ErrorFromStatus(e.Resource);
                case WatchEventType.Bookmark:
                    UpdateVersion(e.Resource);
                    break;
                default:
                    Apply(e);
                    break;
            }
        }
        return events;
    }

    private void Replace(KubernetesList list)
    {
        _store.Clear();
        foreach (var item in list.Items)
        {
            var key = InferenceResources.Key(item);
            if (key is not null)
                _store[key] = item;
        }
        ResourceVersion = list.ResourceVersion;
        Interlocked.Increment(ref _lists);
        Publish();
    }

    private void Apply(WatchEvent e)
    {
        UpdateVersion(e.Resource);
        var key = InferenceResources.Key(e.Resource);
        if (key is null)
            return;
        if (e.Type == WatchEventType.Deleted)
            _store.Remove(key);
        else
            _store[key] = e.Resource;
        Publish();
    }

    private void UpdateVersion(JsonElement obj)
    {
        if (Json.TryGetObject(obj, "metadata", out var meta) && Json.GetString(meta, "resourceVersion") is { Length: > 0 } rv)
            ResourceVersion = rv;
    }

    private void Publish()
    {
        _snapshot = _store.ToFrozenDictionary(StringComparer.Ordinal);
        _absent = false;
        _synced = true;
        Notify();
    }

    private void Notify()
    {
        try
        {
            Changed?.Invoke(this);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A faulty subscriber must not stop the watch; it is logged and the loop goes on.
            LogSubscriberError(_logger, _path, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch of {Path} expired at resourceVersion {Version} (410 Gone); relisting")]
    private static partial void LogGone(ILogger logger, string path, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "List/watch of {Path} failed; retrying in {DelayMs} ms")]
    private static partial void LogError(ILogger logger, string path, double delayMs, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A change handler of {Path} threw")]
    private static partial void LogSubscriberError(ILogger logger, string path, Exception exception);
}
