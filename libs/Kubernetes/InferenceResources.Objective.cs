using System.Text.Json;
using InferenceMesh.Contracts;

namespace InferenceMesh.Kubernetes;

public static partial class InferenceResources
{
    /// <summary>Reads a v1alpha2 InferenceObjective: <c>spec.priority</c> (an integer, unset = 0) and the pools it applies to,
    /// <c>spec.poolRef</c> (the Inference Extension's shape) and/or <c>spec.poolRefs[]</c> (llm-d's); llm-d's
    /// <c>spec.poolSelector</c> is not read.</summary>
    public static bool TryParseObjective(JsonElement obj, out InferenceObjectiveSpec objective, out string? problem)
    {
        objective = null!;
        if (!TryNameAndSpec(obj, "InferenceObjective", out var name, out var spec, out problem))
            return false;
        long priority = 0;
        if (spec.TryGetProperty("priority", out var p) && p.ValueKind != JsonValueKind.Null && !Json.TryGetLong(spec, "priority", out priority))
        {
            var raw = p.ValueKind == JsonValueKind.String ? p.GetString() : p.GetRawText();
            problem = $"InferenceObjective {name} has spec.priority '{raw}', which is not an integer";
            return false;
        }
        var pools = new List<string>();
        if (Json.TryGetObject(spec, "poolRef", out var single) && !TryAddPoolRef(single, name, "spec.poolRef", pools, out problem))
            return false;
        if (Json.TryGetArray(spec, "poolRefs", out var many))
        {
            var i = 0;
            foreach (var r in many.EnumerateArray())
            {
                if (!TryAddPoolRef(r, name, $"spec.poolRefs[{i++}]", pools, out problem))
                    return false;
            }
        }
        if (pools.Count == 0)
        {
            problem = spec.TryGetProperty("poolSelector", out _)
                ? $"InferenceObjective {name} selects its pools with spec.poolSelector, which is not supported (name them in spec.poolRef or spec.poolRefs)"
                : $"InferenceObjective {name} has no spec.poolRef.name";
            return false;
        }
        // The Inference Extension's schema allows any integer; only the order matters, so out-of-range values saturate.
        objective = new InferenceObjectiveSpec(name, (int)Math.Clamp(priority, int.MinValue, int.MaxValue), pools);
        return true;
    }

    private static bool TryAddPoolRef(JsonElement poolRef, string objective, string key, List<string> into, out string? problem)
    {
        problem = null;
        // As the reference reconciler: a reference to another group or kind is not a reference to this pool.
        var group = Json.GetString(poolRef, "group");
        if (!string.IsNullOrEmpty(group) && group is not (InferenceApiVersions.GaGroup or InferenceApiVersions.AlphaGroup))
        {
            problem = $"InferenceObjective {objective} has {key}.group '{group}' ({InferenceApiVersions.GaGroup} or {InferenceApiVersions.AlphaGroup})";
            return false;
        }
        var kind = Json.GetString(poolRef, "kind");
        if (!string.IsNullOrEmpty(kind) && kind != InferenceApiVersions.PoolKind)
        {
            problem = $"InferenceObjective {objective} has {key}.kind '{kind}' ({InferenceApiVersions.PoolKind})";
            return false;
        }
        var pool = Json.GetString(poolRef, "name");
        if (string.IsNullOrEmpty(pool))
        {
            problem = $"InferenceObjective {objective} has no {key}.name";
            return false;
        }
        if (!into.Contains(pool))
            into.Add(pool);
        return true;
    }
}
