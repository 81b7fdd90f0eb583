using System.Globalization;
using System.Text.Json.Nodes;

namespace InferenceMesh.Deploy.Tests.Support;

/// <summary>Small, failing-loudly accessors over the YAML-as-JSON trees.</summary>
internal static class JsonNodeExtensions
{
    public static string? Str(this JsonNode? node, string key) => node?[key] is JsonValue v ? v.GetValue<string>() : null;

    public static string Str(this JsonNode? node) => node is JsonValue v ? v.GetValue<string>() : throw new InvalidDataException($"not a scalar: {node?.ToJsonString()}");

    public static int Int(this JsonNode? node) =>
        int.Parse(node.Str(), NumberStyles.Integer, CultureInfo.InvariantCulture);

    public static JsonObject Obj(this JsonNode? node, string key) =>
        node?[key] as JsonObject ?? throw new InvalidDataException($"missing mapping '{key}' in {node?.ToJsonString()}");

    public static JsonArray Arr(this JsonNode? node, string key) =>
        node?[key] as JsonArray ?? throw new InvalidDataException($"missing list '{key}' in {node?.ToJsonString()}");

    public static IEnumerable<JsonObject> Objects(this JsonArray array) => array.Select(n => (JsonObject)n!);

    public static IEnumerable<string> Strings(this JsonArray? array) => array is null ? [] : array.Select(n => n.Str());

    /// <summary>Dapr component metadata entry by name.</summary>
    public static JsonObject? DaprMeta(this JsonObject component, string name) =>
        component.Obj("spec").Arr("metadata").Objects().FirstOrDefault(m => m.Str("name") == name);
}

/// <summary>Integer parsing for scalars already read as strings.</summary>
internal static class StringIntExtensions
{
    public static int Int(this string? value) =>
        int.Parse(value ?? throw new InvalidDataException("missing integer"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture);
}
