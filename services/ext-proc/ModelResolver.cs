using InferenceMesh.Contracts;

namespace InferenceMesh.ExtProc;

/// <summary>The outcome of resolving a request's model against the InferenceModels.</summary>
/// <param name="Criticality">Band: the InferenceObjective's (by priority) when the objective header names one, else the
/// InferenceModel's criticality, else <c>ExtProc:DefaultCriticality</c>.</param>
/// <param name="TargetModel">The model to send to the server (the requested one when there is no rewrite).</param>
/// <param name="Known">Whether the model is one the pool serves: the body's model names an InferenceModel, or the request
/// goes out under a configured name (an InferenceModel's target, or the gateway's rewrite), not the client's own string.</param>
/// <param name="Label">Metric label: the InferenceModel's model name, or <see cref="ModelResolver.OtherModel"/>.</param>
/// <param name="IndexModel">The name the prefix chain is seeded with and the scheduler (and so the prefix index) keys
/// on: the target when known, else <see cref="ModelResolver.OtherModel"/>, so clients cannot create buckets.</param>
internal readonly record struct ResolvedModel(Criticality Criticality, string TargetModel, bool Known, string Label, string IndexModel);

/// <summary>Band and the weighted target-model rewrite (GIE: weighted random pick over targetModels).</summary>
internal sealed class ModelResolver
{
    /// <summary>The one name every model outside the configured set is counted and indexed under.</summary>
    public const string OtherModel = "_other";

    private readonly IInferenceModelSource _source;
    private readonly Criticality _default;
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly bool _trustGatewayHeaders;

    /// <param name="trustGatewayHeaders">Honour <c>x-gateway-inference-objective</c> and <c>x-gateway-model-name-rewrite</c>
    /// (only safe when the gateway strips client-supplied copies: <c>ExtProc:TrustGatewayHeaders</c>).</param>
    public ModelResolver(IInferenceModelSource source, Criticality defaultCriticality, Random random, bool trustGatewayHeaders = true)
    {
        _source = source;
        _default = defaultCriticality;
        _random = random;
        _trustGatewayHeaders = trustGatewayHeaders;
    }

    /// <param name="model">The body's <c>model</c>.</param>
    /// <param name="objective"><c>x-gateway-inference-objective</c>, when sent: the InferenceObjective it names sets the band
    /// (as in the reference picker); an InferenceModel of that name (the pre-InferenceObjective use of the header) supplies
    /// the targets and, without an objective, the band.</param>
    /// <param name="rewrite"><c>x-gateway-model-name-rewrite</c>, when sent; as in the reference picker a rewrite resource
    /// (the InferenceModel's targetModels) wins over it, so the header only applies to models without targets.</param>
    public ResolvedModel Resolve(string model, string? objective, string? rewrite)
    {
        if (!_trustGatewayHeaders)
            (objective, rewrite) = (null, null);
        var byModel = _source.Find(model);
        var spec = (objective is null ? null : _source.Find(objective)) ?? byModel;
        var target = spec is { TargetModels.Count: > 0 } ? PickTarget(spec, model) : !string.IsNullOrEmpty(rewrite) ? rewrite : model;
        // Unknown: the request would go out under the client's own string, which no InferenceModel names.
        var known = byModel is not null || !string.Equals(target, model, StringComparison.Ordinal);
        var band = (objective is null ? null : _source.FindObjective(objective))?.Band ?? spec?.Criticality ?? _default;
        return new ResolvedModel(band, target, known, spec?.ModelName ?? OtherModel, known ? target : OtherModel);
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
