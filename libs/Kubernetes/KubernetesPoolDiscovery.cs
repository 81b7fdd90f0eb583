using System.Text.Json;
using InferenceMesh.Contracts;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Kubernetes;

/// <summary>Discovery from the API server through KubernetesClient: watches InferencePools (GA v1 and v1alpha2), v1alpha2 InferenceModels
/// and InferenceObjectives, and for each
/// pool the Pods matching its selector; the view holds one endpoint per target port of every Ready pod with an IP.</summary>
public sealed partial class KubernetesPoolDiscovery : IPoolDiscovery
{
    private readonly IKubernetes _client;
    private readonly string _namespace;
    private readonly string? _poolName;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly InformerOptions _options;
    private readonly TimeProvider _time;
    private readonly bool _watchPods;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PodWatch> _podWatches = new(StringComparer.Ordinal);
    private KubernetesInformer<JsonElement>? _gaPools;
    private KubernetesInformer<JsonElement>? _alphaPools;
    private KubernetesInformer<JsonElement>? _models;
    private KubernetesInformer<JsonElement>? _objectives;
    private CancellationToken _stopping;
    private volatile PoolView _current = PoolView.Empty;
    private volatile bool _viewSynced;

    /// <summary>Creates the discovery of <paramref name="namespace"/>; <paramref name="poolName"/> limits it to one pool (null = every
    /// pool in the namespace); <paramref name="watchPods"/> = false watches only the CRs, so the view has pools and models but no endpoints.</summary>
    public KubernetesPoolDiscovery(IKubernetes client, string @namespace, string? poolName, ILoggerFactory loggerFactory,
        InformerOptions? options = null, TimeProvider? time = null, bool watchPods = true)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _client = client;
        _namespace = @namespace;
        _poolName = string.IsNullOrWhiteSpace(poolName) ? null : poolName;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<KubernetesPoolDiscovery>();
        _options = options ?? InformerOptions.Default;
        _time = time ?? TimeProvider.System;
        _watchPods = watchPods;
    }

    /// <inheritdoc />
    public PoolView Current => _current;

    /// <summary>True once <see cref="Current"/> was computed from listed InferenceModels, InferenceObjectives and InferencePools of both API
    /// versions (a version the server does not serve counts as listed): until then it may lack models that exist.</summary>
    public bool HasSynced => _viewSynced;

    /// <inheritdoc />
    public event Action<PoolView>? Changed;

    /// <inheritdoc />
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var informerLogger = _loggerFactory.CreateLogger<KubernetesInformer<JsonElement>>();
        _stopping = cancellationToken;
        _gaPools = KubernetesInformers.CustomObjects(_client, _namespace, InferenceApiVersions.GaGroup, InferenceApiVersions.GaVersion,
            InferenceApiVersions.PoolPlural, informerLogger, _options, _time);
        _alphaPools = KubernetesInformers.CustomObjects(_client, _namespace, InferenceApiVersions.AlphaGroup, InferenceApiVersions.AlphaVersion,
            InferenceApiVersions.PoolPlural, informerLogger, _options, _time);
        _models = KubernetesInformers.CustomObjects(_client, _namespace, InferenceApiVersions.AlphaGroup, InferenceApiVersions.AlphaVersion,
            InferenceApiVersions.ModelPlural, informerLogger, _options, _time);
        _objectives = KubernetesInformers.CustomObjects(_client, _namespace, InferenceApiVersions.AlphaGroup, InferenceApiVersions.AlphaVersion,
            InferenceApiVersions.ObjectivePlural, informerLogger, _options, _time);
        _gaPools.Changed += _ => Recompute();
        _alphaPools.Changed += _ => Recompute();
        _models.Changed += _ => Recompute();
        _objectives.Changed += _ => Recompute();
        var tasks = new[]
        {
            Task.Run(() => _gaPools.RunAsync(cancellationToken), CancellationToken.None),
            Task.Run(() => _alphaPools.RunAsync(cancellationToken), CancellationToken.None),
            Task.Run(() => _models.RunAsync(cancellationToken), CancellationToken.None),
            Task.Run(() => _objectives.RunAsync(cancellationToken), CancellationToken.None),
        };
        await Task.WhenAll(tasks).ConfigureAwait(false);
        Task[] podTasks;
        lock (_lock)
        {
            podTasks = new Task[_podWatches.Count];
            var i = 0;
            foreach (var w in _podWatches.Values)
            {
                w.Cancel.Cancel();
                podTasks[i++] = w.Task;
            }
        }
        await Task.WhenAll(podTasks).ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var w in _podWatches.Values)
                w.Cancel.Dispose();
            _podWatches.Clear();
        }
    }

    private static bool Listed(KubernetesInformer<JsonElement>? informer) => informer is { HasSynced: true } or { IsAbsent: true };

    private void Recompute()
    {
        PoolView view;
        lock (_lock)
        {
            // Read before the items: an informer marks itself synced after its snapshot, so the items read below
            // include every list that counted here. A resource the server does not serve (404) counts as listed.
            var synced = Listed(_models) && Listed(_objectives) && Listed(_gaPools) && Listed(_alphaPools);
            var pools = CollectPools();
            ReconcilePodWatches(pools);
            var models = new List<InferenceModelSpec>();
            if (_models is not null)
            {
                foreach (var item in _models.Items.Values)
                {
                    if (!InferenceResources.TryParseModel(item, out var model, out var problem))
                    {
                        LogInvalid(_logger, problem!);
                        continue;
                    }
                    if (pools.Exists(p => p.Name == model.PoolRef))
                        models.Add(model);
                }
            }
            models.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            var objectives = CollectObjectives(pools);
            var endpoints = new List<DiscoveredEndpoint>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pool in pools)
            {
                if (!_podWatches.TryGetValue(pool.Name, out var watch))
                    continue;
                var start = endpoints.Count;
                foreach (var item in watch.Informer.Items.Values)
                {
                    if (InferenceResources.TryParsePod(item, out var pod) && InferenceResources.Matches(pool.Selector, pod.Labels))
                        InferenceResources.AddEndpoints(pool, pod, endpoints);
                }
                for (var i = endpoints.Count - 1; i >= start; i--)
                {
                    if (!seen.Add(endpoints[i].Pool + "|" + endpoints[i].Address))
                        endpoints.RemoveAt(i);
                }
            }
            endpoints.Sort((a, b) => string.CompareOrdinal(a.Address, b.Address));
            view = new PoolView(pools, models, endpoints, objectives);
            _current = view;
            if (synced)
                _viewSynced = true;
            // Raised under the lock: informers recompute from several threads, and subscribers must never see an older
            // view after a newer one.
            Changed?.Invoke(view);
        }
    }

    private List<InferenceObjectiveSpec> CollectObjectives(List<InferencePoolSpec> pools)
    {
        var objectives = new List<InferenceObjectiveSpec>();
        if (_objectives is null)
            return objectives;
        foreach (var item in _objectives.Items.Values)
        {
            if (!InferenceResources.TryParseObjective(item, out var objective, out var problem))
            {
                LogInvalid(_logger, problem!);
                continue;
            }
            if (pools.Exists(p => objective.AppliesTo(p.Name)))
                objectives.Add(objective);
        }
        objectives.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return objectives;
    }

    private List<InferencePoolSpec> CollectPools()
    {
        var byKey = new Dictionary<string, InferencePoolSpec>(StringComparer.Ordinal);
        // The GA resource wins when both versions define the same pool.
        foreach (var informer in new[] { _alphaPools, _gaPools })
        {
            if (informer is null)
                continue;
            foreach (var (key, item) in informer.Items)
            {
                if (!InferenceResources.TryParsePool(item, out var pool, out var problem))
                {
                    LogInvalid(_logger, problem!);
                    continue;
                }
                if (_poolName is null || pool.Name == _poolName)
                    byKey[key] = pool;
            }
        }
        var pools = new List<InferencePoolSpec>(byKey.Values);
        pools.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return pools;
    }

    private void ReconcilePodWatches(List<InferencePoolSpec> pools)
    {
        if (!_watchPods)
            return;
        var wanted = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pool in pools)
            wanted[pool.Name] = InferenceResources.LabelSelector(pool.Selector);
        List<string>? remove = null;
        foreach (var (name, watch) in _podWatches)
        {
            if (!wanted.TryGetValue(name, out var selector) || selector != watch.Informer.LabelSelector)
                (remove ??= []).Add(name);
        }
        if (remove is not null)
        {
            foreach (var name in remove)
            {
                var watch = _podWatches[name];
                watch.Cancel.Cancel();
                _ = watch.Task.ContinueWith(_ => watch.Cancel.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                _podWatches.Remove(name);
                LogPodWatchStopped(_logger, name);
            }
        }
        if (_stopping.IsCancellationRequested)
            return;
        foreach (var (name, selector) in wanted)
        {
            if (_podWatches.ContainsKey(name))
                continue;
            var informer = KubernetesInformers.Pods(_client, _namespace, selector, _loggerFactory.CreateLogger<KubernetesInformer<V1Pod>>(),
                _options, _time);
            informer.Changed += _ => Recompute();
            var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
            var task = Task.Run(() => informer.RunAsync(cts.Token), CancellationToken.None);
            _podWatches[name] = new PodWatch(informer, cts, task);
            LogPodWatchStarted(_logger, name, selector);
        }
    }

    private sealed record PodWatch(KubernetesInformer<V1Pod> Informer, CancellationTokenSource Cancel, Task Task);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring an invalid resource: {Problem}")]
    private static partial void LogInvalid(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching pods of pool {Pool} with selector {Selector}")]
    private static partial void LogPodWatchStarted(ILogger logger, string pool, string selector);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped watching pods of pool {Pool}")]
    private static partial void LogPodWatchStopped(ILogger logger, string pool);
}
