using System.Text.Json;

namespace InferenceMesh.ExtProc;

/// <summary>What the prompt range holds.</summary>
internal enum PromptKind
{
    None,

    /// <summary>The content of a JSON string (between the quotes, escapes as written).</summary>
    Text,

    /// <summary>The raw JSON array of chat messages.</summary>
    Messages,

    /// <summary>Any other JSON value (token arrays, multimodal parts), hashed as raw JSON.</summary>
    Raw,
}

/// <summary>What the picker needs from an OpenAI request body, as ranges into the body (no copies).</summary>
internal readonly struct OpenAiRequest
{
    /// <summary>The <c>model</c> value, or null when missing.</summary>
    public string? Model { get; init; }

    /// <summary>Byte range of the model's JSON string token (quotes included), for the rewrite.</summary>
    public Range ModelToken { get; init; }

    /// <summary>Byte range of the prompt: the raw string content of <c>prompt</c>/<c>input</c>, or the raw JSON of <c>messages</c>.</summary>
    public Range Prompt { get; init; }

    public PromptKind Kind { get; init; }

    /// <summary>The prompt string contains JSON escapes (it must be unescaped before hashing).</summary>
    public bool PromptEscaped { get; init; }

    /// <summary><c>"stream": true</c>.</summary>
    public bool Stream { get; init; }

    /// <summary>Parses the top level of a JSON object body.</summary>
    /// <exception cref="JsonException">Not JSON, or not an object.</exception>
    public static OpenAiRequest Parse(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("the request body is not a JSON object");

        string? model = null;
        Range modelToken = default, prompt = default, messages = default;
        var stream = false;
        var kind = PromptKind.None;
        var escaped = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    model = reader.GetString();
                    var start = (int)reader.TokenStartIndex;
                    modelToken = start..(int)reader.BytesConsumed;
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                stream = reader.TokenType == JsonTokenType.True;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("messages"u8))
            {
                reader.Read();
                messages = SkipCapturing(ref reader);
            }
            else if (reader.ValueTextEquals("prompt"u8) || reader.ValueTextEquals("input"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    // Content between the quotes; escapes are hashed as written, which is stable per client.
                    var start = (int)reader.TokenStartIndex + 1;
                    prompt = start..((int)reader.BytesConsumed - 1);
                    kind = PromptKind.Text;
                    escaped = reader.ValueIsEscaped;
                }
                else
                {
                    prompt = SkipCapturing(ref reader);
                    kind = PromptKind.Raw;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject)
            throw new JsonException("the request body is not a complete JSON object");

        var hasMessages = !messages.Equals(default(Range));
        return new OpenAiRequest
        {
            Model = model,
            ModelToken = modelToken,
            Prompt = hasMessages ? messages : prompt,
            Kind = hasMessages ? PromptKind.Messages : kind,
            PromptEscaped = !hasMessages && escaped,
            Stream = stream,
        };
    }

    private static Range SkipCapturing(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return start..(int)reader.BytesConsumed;
    }
}
