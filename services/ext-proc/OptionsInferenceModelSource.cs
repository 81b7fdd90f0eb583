using System.Collections.Frozen;
using InferenceMesh.Contracts;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc;

/// <summary>InferenceModels from <c>ExtProc:Models</c> (the override layer of <see cref="DiscoveryInferenceModelSource"/>).</summary>
internal sealed class OptionsInferenceModelSource : IInferenceModelSource
{
    private readonly FrozenDictionary<string, InferenceModelSpec> _byName;

    public OptionsInferenceModelSource(IOptions<ExtProcOptions> options)
    {
        var o = options.Value;
        var map = new Dictionary<string, InferenceModelSpec>(StringComparer.Ordinal);
        foreach (var m in o.Models)
        {
            var targets = new List<TargetModel>(m.TargetModels.Count);
            foreach (var t in m.TargetModels)
                targets.Add(new TargetModel(t.Name, t.Weight));
            var spec = new InferenceModelSpec(m.Name ?? m.ModelName, m.ModelName, m.Criticality, targets, o.Pool);
            map[m.ModelName] = spec;
            map.TryAdd(spec.Name, spec);
        }
        _byName = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public InferenceModelSpec? Find(string name) => _byName.GetValueOrDefault(name);
}
