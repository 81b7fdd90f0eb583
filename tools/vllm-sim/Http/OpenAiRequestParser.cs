using System.Globalization;
using System.Text;
using System.Text.Json;

namespace InferenceMesh.VllmSim.Http;

/// <summary>Validates and reads <c>/v1/completions</c> and <c>/v1/chat/completions</c> bodies.</summary>
internal static class OpenAiRequestParser
{
    /// <summary>Header that forces the output length (the bench uses it to replay a trace's output lengths).</summary>
    public const string OutputTokensHeader = "x-sim-output-tokens";

    // Qwen2.5's chat template adds this system prompt when the conversation has none.
    private const string DefaultSystemPrompt = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

    public static ParsedRequest? Parse(JsonElement root, bool chat, SimServerOptions server, Func<string, bool> isAdapter, SimHostOptions host, string? forcedOutput, out ApiError? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
            return Fail(out error, "request body must be a JSON object");
        if (!root.TryGetProperty("model", out var modelEl) || modelEl.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(modelEl.GetString()))
            return Fail(out error, "Field required: model", "model");
        var model = modelEl.GetString()!;
        string? lora = null;
        if (!string.Equals(model, server.ModelName, StringComparison.Ordinal))
        {
            if (!isAdapter(model))
            {
                error = new ApiError(404, $"The model `{model}` does not exist.", "model");
                return null;
            }
            lora = model;
        }

        SimPrompt? prompt;
        if (chat)
            prompt = ParseMessages(root, out error);
        else
            prompt = ParsePrompt(root, out error);
        if (prompt is null)
            return null;

        var stream = false;
        if (root.TryGetProperty("stream", out var streamEl) && streamEl.ValueKind != JsonValueKind.Null)
        {
            if (streamEl.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return Fail(out error, "stream must be a boolean", "stream");
            stream = streamEl.GetBoolean();
        }
        var includeUsage = false;
        if (root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind is JsonValueKind.True)
        {
            if (!stream)
                return Fail(out error, "Stream options can only be defined when `stream=True`.", "stream_options");
            includeUsage = true;
        }
        if (root.TryGetProperty("n", out var nEl) && nEl.ValueKind != JsonValueKind.Null && (!nEl.TryGetInt32(out var n) || n != 1))
            return Fail(out error, "the simulator supports only n = 1", "n");

        int? maxTokens = null;
        foreach (var key in (ReadOnlySpan<string>)["max_tokens", "max_completion_tokens"])
        {
            if (!root.TryGetProperty(key, out var mt) || mt.ValueKind == JsonValueKind.Null)
                continue;
            if (mt.ValueKind != JsonValueKind.Number || !mt.TryGetInt32(out var v) || v < 1)
                return Fail(out error, $"{key} must be an integer of at least 1", key);
            maxTokens = v;
        }
        var output = maxTokens ?? (chat ? host.DefaultChatMaxTokens : host.DefaultCompletionMaxTokens);
        if (!string.IsNullOrEmpty(forcedOutput))
        {
            if (!int.TryParse(forcedOutput, NumberStyles.None, CultureInfo.InvariantCulture, out var forced) || forced < 1)
                return Fail(out error, $"header {OutputTokensHeader} must be a positive integer");
            output = forced;
        }
        return new ParsedRequest(model, lora, prompt, output, stream, includeUsage, chat);
    }

    private static SimPrompt? ParsePrompt(JsonElement root, out ApiError? error)
    {
        error = null;
        if (!root.TryGetProperty("prompt", out var p) || p.ValueKind == JsonValueKind.Null)
            return Fail<SimPrompt>(out error, "Field required: prompt", "prompt");
        if (p.ValueKind == JsonValueKind.String)
            return NonEmpty(p.GetString()!, out error);
        if (p.ValueKind != JsonValueKind.Array || p.GetArrayLength() == 0)
            return Fail<SimPrompt>(out error, "prompt must be a string, an array of one string, or an array of token ids", "prompt");
        var first = p[0];
        if (first.ValueKind == JsonValueKind.String)
        {
            if (p.GetArrayLength() != 1)
                return Fail<SimPrompt>(out error, "the simulator supports one prompt per request", "prompt");
            return NonEmpty(first.GetString()!, out error);
        }
        var ids = first.ValueKind == JsonValueKind.Array ? (p.GetArrayLength() == 1 ? first : default) : p;
        if (ids.ValueKind != JsonValueKind.Array || ids.GetArrayLength() == 0)
            return Fail<SimPrompt>(out error, "prompt must be a string, an array of one string, or an array of token ids", "prompt");
        var tokens = new long[ids.GetArrayLength()];
        var i = 0;
        foreach (var t in ids.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetInt64(out tokens[i]) || tokens[i] < 0)
                return Fail<SimPrompt>(out error, "token ids must be non-negative integers", "prompt");
            i++;
        }
        return SimPrompt.FromTokenIds(tokens);
    }

    private static SimPrompt? ParseMessages(JsonElement root, out ApiError? error)
    {
        error = null;
        if (!root.TryGetProperty("messages", out var msgs) || msgs.ValueKind != JsonValueKind.Array)
            return Fail<SimPrompt>(out error, "Field required: messages", "messages");
        if (msgs.GetArrayLength() == 0)
            return Fail<SimPrompt>(out error, "messages must not be empty", "messages");
        var sb = new StringBuilder();
        var first = true;
        foreach (var m in msgs.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                return Fail<SimPrompt>(out error, "every message needs a string role", "messages");
            var r = role.GetString()!;
            if (first && r != "system")
                sb.Append("<|im_start|>system\n").Append(DefaultSystemPrompt).Append("<|im_end|>\n");
            first = false;
            sb.Append("<|im_start|>").Append(r).Append('\n');
            if (m.TryGetProperty("content", out var content))
            {
                if (content.ValueKind == JsonValueKind.String)
                {
                    sb.Append(content.GetString());
                }
                else if (content.ValueKind == JsonValueKind.Array)
                {
                    foreach (var part in content.EnumerateArray())
                    {
                        if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                            return Fail<SimPrompt>(out error, "content parts need a type", "messages");
                        if (type.GetString() == "text" && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                            sb.Append(text.GetString());
                        else
                            return Fail<SimPrompt>(out error, $"content part type '{type.GetString()}' is not supported by the simulator", "messages");
                    }
                }
                else if (content.ValueKind != JsonValueKind.Null)
                {
                    return Fail<SimPrompt>(out error, "message content must be a string, an array of parts, or null", "messages");
                }
            }
            sb.Append("<|im_end|>\n");
        }
        sb.Append("<|im_start|>assistant\n");
        return SimPrompt.FromText(sb.ToString());
    }

    private static SimPrompt? NonEmpty(string text, out ApiError? error)
    {
        error = null;
        return text.Length == 0 ? Fail<SimPrompt>(out error, "prompt must not be empty", "prompt") : SimPrompt.FromText(text);
    }

    private static T? Fail<T>(out ApiError? error, string message, string? param = null)
        where T : class
    {
        error = new ApiError(400, message, param);
        return null;
    }

    private static ParsedRequest? Fail(out ApiError? error, string message, string? param = null) => Fail<ParsedRequest>(out error, message, param);
}
