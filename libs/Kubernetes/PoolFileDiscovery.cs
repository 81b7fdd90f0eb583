using Microsoft.Extensions.Logging;

namespace InferenceMesh.Kubernetes;

/// <summary>Discovery from the local pool file, reloaded when it changes: a FileSystemWatcher for promptness and polling as a
/// fallback (watchers miss events on some mounts and editors that replace files). A broken file keeps the last good view.</summary>
public sealed partial class PoolFileDiscovery : IPoolDiscovery, IDisposable
{
    private readonly string _path;
    private readonly string? _poolName;
    private readonly ILogger _logger;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Lock _reloadLock = new();
    private volatile PoolView _current = PoolView.Empty;
    private string? _lastText;

    /// <summary>Creates the discovery for <paramref name="path"/>.</summary>
    public PoolFileDiscovery(string path, string? poolName, ILogger<PoolFileDiscovery> logger, TimeSpan pollInterval, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(logger);
        _path = Path.GetFullPath(path);
        _poolName = string.IsNullOrWhiteSpace(poolName) ? null : poolName;
        _logger = logger;
        _pollInterval = pollInterval;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public PoolView Current => _current;

    /// <inheritdoc />
    public event Action<PoolView>? Changed;

    /// <summary>Why the last load failed; null after a good load.</summary>
    public string? LastError { get; private set; }

    /// <summary>Loads the file once, synchronously (start-up, tests).</summary>
    public bool Reload()
    {
        // One reload at a time, so change notifications arrive in file order.
        lock (_reloadLock)
            return ReloadLocked();
    }

    private bool ReloadLocked()
    {
        string text;
        try
        {
            text = File.ReadAllText(_path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LastError = $"cannot read {_path}: {ex.Message}";
            LogLoadFailed(_logger, _path, LastError);
            return false;
        }
        if (text == _lastText)
            return true;
        PoolView view;
        try
        {
            view = PoolFile.Parse(text, _poolName);
        }
        catch (PoolFileException ex)
        {
            LastError = ex.Message;
            _lastText = text; // Do not log the same broken content on every poll.
            LogLoadFailed(_logger, _path, ex.Message);
            return false;
        }
        _lastText = text;
        LastError = null;
        _current = view;
        LogLoaded(_logger, _path, view.Pools.Count, view.Models.Count, view.Objectives.Count, view.Endpoints.Count);
        Changed?.Invoke(view);
        return true;
    }

    /// <inheritdoc />
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Reload();
        using var watcher = TryCreateWatcher();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // Whichever comes first: a watcher event or the poll interval.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var delay = Task.Delay(_pollInterval, _time, timeout.Token);
                var signalled = _signal.WaitAsync(timeout.Token);
                await Task.WhenAny(delay, signalled).ConfigureAwait(false);
                await timeout.CancelAsync().ConfigureAwait(false);
                try
                {
                    await Task.WhenAll(delay, signalled).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The loser of the race was cancelled on purpose.
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (cancellationToken.IsCancellationRequested)
                return;
            Reload();
        }
    }

    private FileSystemWatcher? TryCreateWatcher()
    {
        try
        {
            var dir = Path.GetDirectoryName(_path)!;
            var watcher = new FileSystemWatcher(dir, Path.GetFileName(_path))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            watcher.Changed += (_, _) => _signal.Release();
            watcher.Created += (_, _) => _signal.Release();
            watcher.Renamed += (_, _) => _signal.Release();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            LogWatcherUnavailable(_logger, _path, ex.Message);
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _signal.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded pool file {Path}: {Pools} pools, {Models} models, {Objectives} objectives, {Endpoints} endpoints")]
    private static partial void LogLoaded(ILogger logger, string path, int pools, int models, int objectives, int endpoints);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pool file {Path} not loaded (keeping the previous view): {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No file watcher for {Path} ({Reason}); relying on polling")]
    private static partial void LogWatcherUnavailable(ILogger logger, string path, string reason);
}
