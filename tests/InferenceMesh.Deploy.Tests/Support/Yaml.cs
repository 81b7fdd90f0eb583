using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace InferenceMesh.Deploy.Tests.Support;

/// <summary>One YAML document as a JSON tree; every scalar stays a string (as written), nulls become null.</summary>
internal sealed record YamlDoc(string Source, int Index, JsonObject Root)
{
    public string? ApiVersion => Root.Str("apiVersion");

    public string? Kind => Root.Str("kind");

    public string? Name => Root["metadata"]?["name"]?.GetValue<string>();

    public string? Namespace => Root["metadata"]?["namespace"]?.GetValue<string>();

    public override string ToString() => $"{Source}#{Index} {Kind}/{Name}";
}

/// <summary>Multi-document YAML loading on YamlDotNet's representation model.</summary>
internal static class Yaml
{
    /// <summary>Plain (unquoted) scalars that YAML 1.1 parsers, such as the one inside kubectl, turn into booleans.</summary>
    private static readonly HashSet<string> Yaml11Booleans = new(StringComparer.OrdinalIgnoreCase)
    {
        "y", "n", "yes", "no", "on", "off",
    };

    /// <summary>Mappings whose values Kubernetes types as strings (map[string]string).</summary>
    private static readonly HashSet<string> StringMaps = new(StringComparer.Ordinal)
    {
        "annotations", "labels", "matchLabels", "nodeSelector", "data", "stringData",
    };

    public static IReadOnlyList<YamlDoc> LoadFile(string path) => Load(File.ReadAllText(path), RepoPaths.Relative(path));

    public static IReadOnlyList<YamlDoc> Load(string text, string source)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(text))
            stream.Load(reader);
        var docs = new List<YamlDoc>();
        for (var i = 0; i < stream.Documents.Count; i++)
        {
            var node = ToJson(stream.Documents[i].RootNode);
            if (node is null)
                continue; // an empty document between separators
            if (node is not JsonObject obj)
                throw new InvalidDataException($"{source}#{i}: top level is not a mapping");
            docs.Add(new YamlDoc(source, i, obj));
        }
        return docs;
    }

    /// <summary>Plain scalars whose meaning differs between YAML 1.1 and 1.2 ("yes", "on", "n", ...), with their line.</summary>
    public static IReadOnlyList<string> AmbiguousPlainScalars(string text, string source)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(text))
            stream.Load(reader);
        var found = new List<string>();
        foreach (var doc in stream.Documents)
            Walk(doc.RootNode);
        return found;

        void Walk(YamlNode node)
        {
            switch (node)
            {
                case YamlScalarNode s when s.Style == ScalarStyle.Plain && s.Value is not null && Yaml11Booleans.Contains(s.Value):
                    found.Add($"{source}:{s.Start.Line} '{s.Value}'");
                    break;
                case YamlMappingNode m:
                    foreach (var (k, v) in m.Children)
                    {
                        Walk(k);
                        Walk(v);
                    }
                    break;
                case YamlSequenceNode q:
                    foreach (var c in q.Children)
                        Walk(c);
                    break;
            }
        }
    }

    /// <summary>
    /// Plain scalars that a YAML parser reads as a number, boolean or null where Kubernetes wants a string
    /// (annotation and label values, ConfigMap data, env values): the API server rejects such an object.
    /// </summary>
    public static IReadOnlyList<string> NonStringScalarsInStringFields(string text, string source)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(text))
            stream.Load(reader);
        var found = new List<string>();
        foreach (var doc in stream.Documents)
            Walk(doc.RootNode, parentKey: null, inEnvList: false);
        return found;

        void Walk(YamlNode node, string? parentKey, bool inEnvList)
        {
            switch (node)
            {
                case YamlMappingNode m:
                    foreach (var (k, v) in m.Children)
                    {
                        var key = ((YamlScalarNode)k).Value ?? "";
                        if (key == "openAPIV3Schema")
                            continue; // schema keywords (maxProperties: 64) are typed, not string maps
                        var stringMap = parentKey is not null && StringMaps.Contains(parentKey);
                        if (v is YamlScalarNode s && (stringMap || (inEnvList && key == "value")) && !IsPlainString(s))
                            found.Add($"{source}:{s.Start.Line} {key}: {s.Value}");
                        Walk(v, key, inEnvList: false);
                    }
                    break;
                case YamlSequenceNode q:
                    // List items are not entries of the parent map (kustomize's "labels:" is a list of settings).
                    foreach (var c in q.Children)
                        Walk(c, parentKey: null, inEnvList: parentKey == "env");
                    break;
            }
        }
    }

    private static bool IsPlainString(YamlScalarNode s) =>
        s.Style != ScalarStyle.Plain || !(IsNull(s) || Yaml11Booleans.Contains(s.Value!) || s.Value is "true" or "false" or "True" or "False" or "TRUE" or "FALSE"
            || double.TryParse(s.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlScalarNode s => IsNull(s) ? null : JsonValue.Create(s.Value),
        YamlSequenceNode q => new JsonArray([.. q.Children.Select(ToJson)]),
        YamlMappingNode m => ToObject(m),
        _ => throw new InvalidDataException($"unsupported YAML node {node.NodeType} at {node.Start}"),
    };

    private static JsonObject ToObject(YamlMappingNode m)
    {
        var obj = new JsonObject();
        foreach (var (k, v) in m.Children)
        {
            var key = ((YamlScalarNode)k).Value ?? throw new InvalidDataException($"null key at {k.Start}");
            obj[key] = ToJson(v); // duplicate keys overwrite; YamlDotNet already rejects them
        }
        return obj;
    }

    private static bool IsNull(YamlScalarNode s) =>
        s.Style == ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");
}
