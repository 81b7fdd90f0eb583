using InferenceMesh.Contracts;

namespace InferenceMesh.ExtProc;

/// <summary>The outcome of resolving a request's model against the InferenceModels.</summary>
/// <param name="Criticality">Band.</param>
/// <param name="TargetModel">The model to send to the server (the requested one when there is no rewrite).</param>
/// <param name="Known">Whether an InferenceModel matched.</param>
internal readonly record struct ResolvedModel(Criticality Criticality, string TargetModel, bool Known);

/// <summary>Criticality and the weighted target-model rewrite (GIE: weighted random pick over targetModels).</summary>
internal sealed class ModelResolver
{
    private readonly IInferenceModelSource _source;
    private readonly Criticality _default;
    private readonly Random _random;
    private readonly Lock _randomLock = new();

    public ModelResolver(IInferenceModelSource source, Criticality defaultCriticality, Random random)
    {
        _source = source;
        _default = defaultCriticality;
        _random = random;
    }

    /// <param name="model">The body's <c>model</c>.</param>
    /// <param name="objective"><c>x-gateway-inference-objective</c>, when sent; it selects the InferenceModel by name.</param>
    /// <param name="rewrite"><c>x-gateway-model-name-rewrite</c>, when sent; as in the reference picker a rewrite resource
    /// (the InferenceModel's targetModels) wins over it, so the header only applies to models without targets.</param>
    public ResolvedModel Resolve(string model, string? objective, string? rewrite)
    {
        var spec = (objective is null ? null : _source.Find(objective)) ?? _source.Find(model);
        var target = spec is { TargetModels.Count: > 0 } ? PickTarget(spec, model) : !string.IsNullOrEmpty(rewrite) ? rewrite : model;
        return new ResolvedModel(spec?.Criticality ?? _default, target, spec is not null);
    }

    private string PickTarget(InferenceModelSpec spec, string model)
    {
        var targets = spec.TargetModels;
        if (targets.Count == 0)
            return model;
        long total = 0;
        for (var i = 0; i < targets.Count; i++)
            total += Math.Max(0, targets[i].Weight);
        if (total == 0)
            return targets[0].Name;
        long r;
        lock (_randomLock)
            r = _random.NextInt64(total);
        for (var i = 0; i < targets.Count; i++)
        {
            r -= Math.Max(0, targets[i].Weight);
            if (r < 0)
                return targets[i].Name;
        }
        return targets[^1].Name;
    }
}
