using System.Text.Json;

namespace InferenceMesh.ExtProc;

/// <summary>OpenAI <c>usage</c>: prompt and completion tokens, and the prompt tokens served from the server's prefix cache
/// (<c>prompt_tokens_details.cached_tokens</c>; null when the server does not report it).</summary>
internal readonly record struct TokenUsage(int PromptTokens, int CompletionTokens, int? CachedTokens);

/// <summary>Reads OpenAI <c>usage</c> ({prompt_tokens, completion_tokens, prompt_tokens_details: {cached_tokens}}) from a
/// JSON body or one SSE event.</summary>
internal static class UsageReader
{
    /// <summary>True when <paramref name="json"/> is an object with a top-level <c>usage</c> object carrying a count.</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out TokenUsage usage)
    {
        usage = default;
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
                return reader.TokenType == JsonTokenType.StartObject && ReadUsage(ref reader, out usage);
            }
        }
        catch (JsonException)
        {
            // Not JSON (or cut short): no usage to report.
        }
        return false;
    }

    private static bool ReadUsage(ref Utf8JsonReader reader, out TokenUsage usage)
    {
        int prompt = 0, completion = 0;
        int? cached = null;
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isPrompt = reader.ValueTextEquals("prompt_tokens"u8);
            var isCompletion = reader.ValueTextEquals("completion_tokens"u8);
            var isDetails = reader.ValueTextEquals("prompt_tokens_details"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number)
            {
                if (isPrompt && reader.TryGetInt32(out var p))
                {
                    prompt = p;
                    found = true;
                }
                else if (isCompletion && reader.TryGetInt32(out var c))
                {
                    completion = c;
                    found = true;
                }
            }
            else if (isDetails && reader.TokenType == JsonTokenType.StartObject)
            {
                cached = ReadCached(ref reader);
                continue;
            }
            reader.Skip();
        }
        usage = new TokenUsage(prompt, completion, cached);
        return found;
    }

    /// <summary>Reads <c>prompt_tokens_details</c> to its end; its <c>cached_tokens</c> when a non-negative integer.</summary>
    private static int? ReadCached(ref Utf8JsonReader reader)
    {
        int? cached = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCached = reader.ValueTextEquals("cached_tokens"u8);
            reader.Read();
            if (isCached && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v) && v >= 0)
                cached = v;
            reader.Skip();
        }
        return cached;
    }
}
