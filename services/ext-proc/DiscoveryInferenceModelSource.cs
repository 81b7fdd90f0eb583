using System.Collections.Frozen;
using InferenceMesh.Contracts;
using InferenceMesh.Kubernetes;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc;

/// <summary>InferenceModels and InferenceObjectives of this picker's pool (<c>ExtProc:Pool</c>): an <c>ExtProc:Models</c> entry
/// wins for the model names it defines (a local override), the rest come from discovery (pool file or Kubernetes) and
/// follow its changes.</summary>
internal sealed partial class DiscoveryInferenceModelSource : IInferenceModelSource, IDisposable
{
    private readonly OptionsInferenceModelSource _configured;
    private readonly IPoolDiscovery _discovery;
    private readonly string _pool;
    private readonly ILogger _logger;
    private readonly Lock _rebuildLock = new();
    private volatile FrozenDictionary<string, InferenceModelSpec> _discovered = FrozenDictionary<string, InferenceModelSpec>.Empty;
    private volatile FrozenDictionary<string, InferenceObjectiveSpec> _objectives = FrozenDictionary<string, InferenceObjectiveSpec>.Empty;

    public DiscoveryInferenceModelSource(IOptions<ExtProcOptions> options, IPoolDiscovery discovery, ILogger<DiscoveryInferenceModelSource> logger)
    {
        _configured = new OptionsInferenceModelSource(options);
        _discovery = discovery;
        _pool = options.Value.Pool;
        _logger = logger;
        // Subscribe before the first build so no change falls between the two.
        _discovery.Changed += OnChanged;
        Rebuild();
    }

    /// <summary>Models currently taken from discovery (by ModelName and resource name).</summary>
    public int DiscoveredCount => _discovered.Count;

    public InferenceModelSpec? Find(string name) => _configured.Find(name) ?? _discovered.GetValueOrDefault(name);

    public InferenceObjectiveSpec? FindObjective(string name) => _objectives.GetValueOrDefault(name);

    private void OnChanged(PoolView view) => Rebuild();

    private void Rebuild()
    {
        // Always from the latest view, under a lock: concurrent notifications can never leave an older map in place.
        lock (_rebuildLock)
        {
            var view = _discovery.Current;
            var map = new Dictionary<string, InferenceModelSpec>(StringComparer.Ordinal);
            var others = 0;
            foreach (var m in view.Models)
            {
                if (!string.Equals(m.PoolRef, _pool, StringComparison.Ordinal))
                {
                    others++;
                    continue;
                }
                map[m.ModelName] = m;
            }
            // Resource names second, so a ModelName is never shadowed by another model's resource name.
            foreach (var m in view.Models)
            {
                if (string.Equals(m.PoolRef, _pool, StringComparison.Ordinal))
                    map.TryAdd(m.Name, m);
            }
            _discovered = map.ToFrozenDictionary(StringComparer.Ordinal);
            var objectives = new Dictionary<string, InferenceObjectiveSpec>(StringComparer.Ordinal);
            foreach (var o in view.Objectives)
            {
                if (o.AppliesTo(_pool))
                    objectives[o.Name] = o;
            }
            _objectives = objectives.ToFrozenDictionary(StringComparer.Ordinal);
            if (view.Models.Count > 0 || view.Objectives.Count > 0)
                LogModelsDiscovered(_logger, view.Models.Count - others, objectives.Count, _pool, others + view.Objectives.Count - objectives.Count);
        }
    }

    public void Dispose() => _discovery.Changed -= OnChanged;

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Discovered {Models} InferenceModels and {Objectives} InferenceObjectives for pool {Pool} ({Others} for other pools ignored)")]
    private static partial void LogModelsDiscovered(ILogger logger, int models, int objectives, string pool, int others);
}
