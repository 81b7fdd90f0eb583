using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace InferenceMesh.Kubernetes;

/// <summary>Turns YAML documents into JSON elements so the same mappers read the API server and the local file.
/// Plain scalars become numbers/booleans/null when they look like one (YAML 1.2 core schema); quoted scalars stay strings.</summary>
internal static class YamlJson
{
    public static List<JsonElement> ParseDocuments(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var documents = new List<JsonElement>(stream.Documents.Count);
        foreach (var doc in stream.Documents)
        {
            var node = Convert(doc.RootNode);
            if (node is null)
                continue; // An empty document (e.g. a trailing '---').
            using var json = JsonDocument.Parse(node.ToJsonString());
            documents.Add(json.RootElement.Clone());
        }
        return documents;
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => ConvertMap(map),
        YamlSequenceNode seq => ConvertSequence(seq),
        YamlScalarNode scalar => ConvertScalar(scalar),
        _ => throw new YamlException(node.Start, node.End, $"unsupported YAML node {node.NodeType}"),
    };

    private static JsonObject ConvertMap(YamlMappingNode map)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
                throw new YamlException(key.Start, key.End, "mapping keys must be scalars");
            if (obj.ContainsKey(name))
                throw new YamlException(key.Start, key.End, $"duplicate key '{name}'");
            obj[name] = Convert(value);
        }
        return obj;
    }

    private static JsonArray ConvertSequence(YamlSequenceNode seq)
    {
        var array = new JsonArray();
        foreach (var item in seq.Children)
            array.Add(Convert(item));
        return array;
    }

    private static JsonValue? ConvertScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style is not (ScalarStyle.Plain or ScalarStyle.Any))
            return JsonValue.Create(text);
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return JsonValue.Create(l);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            return JsonValue.Create(d);
        return JsonValue.Create(text);
    }
}
