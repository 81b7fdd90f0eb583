namespace InferenceMesh.Contracts;

/// <summary>An InferenceObjective (Inference Extension <c>inference.networking.x-k8s.io/v1alpha2</c>): the priority of the
/// requests that name it in the <c>x-gateway-inference-objective</c> header, in the pools it refers to.</summary>
/// <param name="Name">metadata.name, the value the header carries.</param>
/// <param name="Priority"><c>spec.priority</c>; unset is 0, as the reference picker treats it.</param>
/// <param name="PoolRefs">Names of the InferencePools it applies to (<c>spec.poolRef</c>, or llm-d's <c>spec.poolRefs</c>).</param>
public sealed record InferenceObjectiveSpec(string Name, int Priority, IReadOnlyList<string> PoolRefs)
{
    /// <summary>The band the scheduler serves this objective's requests in: <see cref="BandOf"/> of <see cref="Priority"/>.</summary>
    public Criticality Band => BandOf(Priority);

    /// <summary>Priority → band. The reference serves higher priorities first, sheds negative ones when the pool is
    /// saturated and never sheds 0 and above; our three bands keep that order: above 0 is Critical, 0 Standard, below 0
    /// Sheddable (docs/ext-proc.md, "InferenceObjectives").</summary>
    public static Criticality BandOf(int priority) =>
        priority > 0 ? Criticality.Critical : priority < 0 ? Criticality.Sheddable : Criticality.Standard;

    /// <summary>Whether <paramref name="pool"/> is one of <see cref="PoolRefs"/>.</summary>
    public bool AppliesTo(string pool)
    {
        for (var i = 0; i < PoolRefs.Count; i++)
        {
            if (string.Equals(PoolRefs[i], pool, StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}
