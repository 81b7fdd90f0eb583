using System.Text.Json;

namespace InferenceMesh.ExtProc;

/// <summary>Reads OpenAI <c>usage</c> ({prompt_tokens, completion_tokens}) from a JSON body or one SSE event.</summary>
internal static class UsageReader
{
    /// <summary>True when <paramref name="json"/> is an object with a top-level <c>usage</c> object.</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out int promptTokens, out int completionTokens)
    {
        promptTokens = 0;
        completionTokens = 0;
        if (json.IndexOf("\"usage\""u8) < 0)
            return false;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                    return false;
                var found = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isPrompt = reader.ValueTextEquals("prompt_tokens"u8);
                    var isCompletion = reader.ValueTextEquals("completion_tokens"u8);
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number)
                    {
                        if (isPrompt && reader.TryGetInt32(out var p))
                        {
                            promptTokens = p;
                            found = true;
                        }
                        else if (isCompletion && reader.TryGetInt32(out var c))
                        {
                            completionTokens = c;
                            found = true;
                        }
                    }
                    reader.Skip();
                }
                return found;
            }
        }
        catch (JsonException)
        {
            // Not JSON (or cut short): no usage to report.
        }
        return false;
    }
}
