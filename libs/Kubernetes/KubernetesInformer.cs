using System.Collections.Frozen;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Kubernetes;

/// <summary>Keeps a local copy of one resource collection with KubernetesClient: list, then watch from the list's
/// resourceVersion, resume after a dropped stream from the last seen version (bookmarks included), relist on 410 Gone,
/// back off on errors.</summary>
/// <typeparam name="T">The item type: <c>V1Pod</c>, or <c>JsonElement</c> for custom resources.</typeparam>
public sealed partial class KubernetesInformer<T>
{
    private readonly ListWatch<T> _source;
    private readonly InformerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, T> _store = new(StringComparer.Ordinal);
    private volatile FrozenDictionary<string, T> _snapshot = FrozenDictionary<string, T>.Empty;
    private int _lists;
    private volatile bool _synced;
    private volatile bool _absent;

    internal KubernetesInformer(ListWatch<T> source, ILogger logger, InformerOptions? options, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(logger);
        _source = source;
        _logger = logger;
        _options = options ?? InformerOptions.Default;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Raised (on the loop's thread) after every list and every applied ADDED/MODIFIED/DELETED event.</summary>
    public event Action<KubernetesInformer<T>>? Changed;

    /// <summary>The current objects keyed by <c>namespace/name</c>; an immutable snapshot.</summary>
    public IReadOnlyDictionary<string, T> Items => _snapshot;

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
    public string? LabelSelector => _source.LabelSelector;

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
                    await ListAsync(cancellationToken).ConfigureAwait(false);
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
            catch (Exception ex) when (StatusOf(ex) == HttpStatusCode.Gone)
            {
                // Our resourceVersion fell out of etcd's window: only a fresh list is consistent again.
                LogGone(_logger, _source.Description, ResourceVersion);
                needList = true;
            }
            catch (Exception ex) when (ex is HttpRequestException or HttpOperationException or KubernetesException or JsonException
                                           or IOException or OperationCanceledException)
            {
                // OperationCanceledException here (not ours) is an HTTP timeout.
                LogError(_logger, _source.Description, backoff.TotalMilliseconds, ex);
                if (needList && StatusOf(ex) == HttpStatusCode.NotFound && !_absent)
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

    /// <summary>The status an API error carries: the HTTP status, or the code of a watch ERROR event's Status.</summary>
    private static HttpStatusCode? StatusOf(Exception ex) => ex switch
    {
        HttpOperationException { Response: { } response } => response.StatusCode,
        KubernetesException { Status.Code: { } code } => (HttpStatusCode)code,
        _ => null,
    };

    private async Task ListAsync(CancellationToken cancellationToken)
    {
        var items = new List<T>();
        string? continueToken = null;
        string? resourceVersion;
        do
        {
            var page = await _source.ListPageAsync(continueToken, cancellationToken).ConfigureAwait(false);
            items.AddRange(page.Items);
            resourceVersion = page.ResourceVersion;
            continueToken = string.IsNullOrEmpty(page.Continue) ? null : page.Continue;
        }
        while (continueToken is not null);
        _store.Clear();
        foreach (var item in items)
        {
            if (_source.Key(item) is { } key)
                _store[key] = item;
        }
        ResourceVersion = resourceVersion ?? string.Empty;
        Interlocked.Increment(ref _lists);
        Publish();
    }

    private async Task<int> WatchOnceAsync(CancellationToken cancellationToken)
    {
        // KubernetesClient hands ERROR (Status) events and unreadable lines to this callback instead of yielding them.
        Exception? failure = null;
        var events = 0;
        var timeoutSeconds = (int)Math.Max(1, _options.WatchTimeout.TotalSeconds);
        await foreach (var (type, item) in _source.WatchAsync(ResourceVersion, timeoutSeconds, ex => failure ??= ex, cancellationToken)
                           .ConfigureAwait(false))
        {
            if (failure is not null)
                break;
            events++;
            if (type == WatchEventType.Bookmark)
                UpdateVersion(item);
            else if (type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
                Apply(type, item);
        }
        if (failure is not null)
            throw failure;
        return events;
    }

    private void Apply(WatchEventType type, T item)
    {
        UpdateVersion(item);
        if (_source.Key(item) is not { } key)
            return;
        if (type == WatchEventType.Deleted)
            _store.Remove(key);
        else
            _store[key] = item;
        Publish();
    }

    private void UpdateVersion(T item)
    {
        if (_source.ResourceVersion(item) is { Length: > 0 } rv)
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
            LogSubscriberError(_logger, _source.Description, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch of {Path} expired at resourceVersion {Version} (410 Gone); relisting")]
    private static partial void LogGone(ILogger logger, string path, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "List/watch of {Path} failed; retrying in {DelayMs} ms")]
    private static partial void LogError(ILogger logger, string path, double delayMs, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A change handler of {Path} threw")]
    private static partial void LogSubscriberError(ILogger logger, string path, Exception exception);
}
