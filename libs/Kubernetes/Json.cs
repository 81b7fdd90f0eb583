using System.Globalization;
using System.Text.Json;

namespace InferenceMesh.Kubernetes;

/// <summary>Tolerant readers for Kubernetes-shaped JSON (numbers may arrive as strings from YAML).</summary>
internal static class Json
{
    public static string? GetString(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
            _ => null,
        } : null;

    public static bool TryGetObject(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out value) && value.ValueKind == JsonValueKind.Object)
            return true;
        value = default;
        return false;
    }

    public static bool TryGetArray(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out value) && value.ValueKind == JsonValueKind.Array)
            return true;
        value = default;
        return false;
    }

    public static bool TryGetInt(JsonElement obj, string name, out int value)
    {
        var ok = TryGetLong(obj, name, out var l) && l is >= int.MinValue and <= int.MaxValue;
        value = ok ? (int)l : 0;
        return ok;
    }

    public static bool TryGetLong(JsonElement obj, string name, out long value)
    {
        value = 0;
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var v))
            return false;
        return v.ValueKind switch
        {
            JsonValueKind.Number => v.TryGetInt64(out value),
            JsonValueKind.String => long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out value),
            _ => false,
        };
    }

    public static Dictionary<string, string> GetStringMap(JsonElement obj, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (TryGetObject(obj, name, out var m))
        {
            foreach (var p in m.EnumerateObject())
            {
                var s = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => p.Value.GetRawText(),
                    _ => null,
                };
                if (s is not null)
                    map[p.Name] = s;
            }
        }
        return map;
    }
}
