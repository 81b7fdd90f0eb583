using System.Globalization;
using System.Text.Json.Nodes;

namespace InferenceMesh.Deploy.Tests.Support;

/// <summary>
/// The parts of a CRD's structural openAPIV3Schema the API server enforces or silently applies: types, required
/// fields, enums, integer bounds, list sizes, and pruning of fields the schema does not declare (a field missing from
/// our CRD would be dropped from a stored InferencePool without any error).
/// </summary>
internal static class StructuralSchema
{
    /// <summary>Every schema node declares a type (or opts out with preserve-unknown-fields), as apiextensions/v1 requires.</summary>
    public static IEnumerable<string> StructuralProblems(JsonObject schema, string path = "")
    {
        if (schema.Str("type") is null && schema.Str("x-kubernetes-preserve-unknown-fields") != "true" && schema.Str("x-kubernetes-int-or-string") != "true")
            yield return $"{path}: no type";
        if (schema["properties"] is JsonObject props)
        {
            foreach (var (name, child) in props)
            {
                foreach (var p in StructuralProblems(child!.AsObject(), $"{path}.{name}"))
                    yield return p;
            }
        }
        if (schema["items"] is JsonObject items)
        {
            foreach (var p in StructuralProblems(items, $"{path}[]"))
                yield return p;
        }
        if (schema["additionalProperties"] is JsonObject additional)
        {
            foreach (var p in StructuralProblems(additional, $"{path}{{*}}"))
                yield return p;
        }
    }

    /// <summary>Problems with <paramref name="value"/> under <paramref name="schema"/>; empty when it would be stored as written.</summary>
    public static IEnumerable<string> Validate(JsonObject schema, JsonNode? value, string path)
    {
        if (value is null)
            yield break;
        switch (schema.Str("type"))
        {
            case "object":
                if (value is not JsonObject obj)
                {
                    yield return $"{path}: expected an object";
                    yield break;
                }
                foreach (var required in (schema["required"] as JsonArray).Strings())
                {
                    if (!obj.ContainsKey(required))
                        yield return $"{path}.{required}: required";
                }
                var props = schema["properties"] as JsonObject;
                var additional = schema["additionalProperties"] as JsonObject;
                var preserve = schema.Str("x-kubernetes-preserve-unknown-fields") == "true";
                if (schema.Str("maxProperties") is { } maxProps && obj.Count > maxProps.Int())
                    yield return $"{path}: more than {maxProps} properties";
                foreach (var (key, child) in obj)
                {
                    var childSchema = props?[key] as JsonObject ?? additional;
                    if (childSchema is null)
                    {
                        if (!preserve)
                            yield return $"{path}.{key}: not in the schema (would be pruned)";
                        continue;
                    }
                    foreach (var p in Validate(childSchema, child, $"{path}.{key}"))
                        yield return p;
                }
                break;
            case "array":
                if (value is not JsonArray arr)
                {
                    yield return $"{path}: expected a list";
                    yield break;
                }
                if (schema.Str("minItems") is { } min && arr.Count < min.Int())
                    yield return $"{path}: fewer than {min} items";
                if (schema.Str("maxItems") is { } max && arr.Count > max.Int())
                    yield return $"{path}: more than {max} items";
                for (var i = 0; i < arr.Count; i++)
                {
                    foreach (var p in Validate(schema.Obj("items"), arr[i], $"{path}[{i}]"))
                        yield return p;
                }
                break;
            case "integer":
                if (!long.TryParse(value.Str(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
                {
                    yield return $"{path}: '{value.Str()}' is not an integer";
                    yield break;
                }
                if (schema.Str("minimum") is { } lo && n < lo.Int())
                    yield return $"{path}: {n} < {lo}";
                if (schema.Str("maximum") is { } hi && n > hi.Int())
                    yield return $"{path}: {n} > {hi}";
                break;
            case "string":
                var s = value.Str();
                if (schema["enum"] is JsonArray allowed && !allowed.Strings().Contains(s))
                    yield return $"{path}: '{s}' not in [{string.Join(", ", allowed.Strings())}]";
                if (schema.Str("maxLength") is { } maxLen && s.Length > maxLen.Int())
                    yield return $"{path}: longer than {maxLen}";
                if (schema.Str("minLength") is { } minLen && s.Length < minLen.Int())
                    yield return $"{path}: shorter than {minLen}";
                break;
        }
    }
}
