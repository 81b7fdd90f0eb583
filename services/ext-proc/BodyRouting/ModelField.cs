using System.Text.Json;

namespace InferenceMesh.ExtProc.BodyRouting;

/// <summary>Finds the top-level <c>"model"</c> string of a JSON request body without building a document: other
/// properties are skipped, the scan stops at <c>model</c>. Bodies that are not a JSON object, or whose model is not a
/// string usable as a header value, have no model.</summary>
internal static class ModelField
{
    /// <summary>Longest model name put in a header.</summary>
    public const int MaxLength = 1024;

    public static string? Find(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = reader.ValueTextEquals("model"u8);
                if (!reader.Read())
                    return null;
                if (isModel)
                    return reader.TokenType == JsonTokenType.String ? HeaderSafe(reader.GetString()) : null;
                reader.Skip();
            }
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A header value may not carry control characters (CR/LF would split the header), and is not empty.</summary>
    private static string? HeaderSafe(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > MaxLength)
            return null;
        foreach (var c in value)
        {
            if (c < ' ' || c == '\u007f')
                return null;
        }
        return value;
    }
}
