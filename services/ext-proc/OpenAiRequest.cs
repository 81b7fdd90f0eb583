using System.Text.Json;
using System.Text.Unicode;

namespace InferenceMesh.ExtProc;

/// <summary>What the picker needs from an OpenAI request body, read in one pass: the model (and its token's range, for
/// the rewrite), <c>stream</c>, and the prompt in the canonical form the prefix chain is computed over.</summary>
internal readonly struct OpenAiRequest
{
    /// <summary>The <c>model</c> value, or null when missing (or too long: see <see cref="ModelTooLong"/>).</summary>
    public string? Model { get; init; }

    /// <summary>The <c>model</c> string is longer than the limit; it was not decoded.</summary>
    public bool ModelTooLong { get; init; }

    /// <summary>Byte range of the model's JSON string token (quotes included), for the rewrite.</summary>
    public Range ModelToken { get; init; }

    /// <summary>Byte range of the prompt in the body, when <see cref="PromptInScratch"/> is false (an unescaped
    /// <c>prompt</c>/<c>input</c> string's content, or the raw JSON of any other <c>prompt</c>/<c>input</c> value).</summary>
    public Range Prompt { get; init; }

    /// <summary>The canonical prompt was written to the scratch buffer (chat messages, or an unescaped string).</summary>
    public bool PromptInScratch { get; init; }

    /// <summary><c>"stream": true</c>.</summary>
    public bool Stream { get; init; }

    /// <summary>Reads a JSON object body once with <see cref="RequestJson.ReaderOptions"/>. False for anything that is
    /// not a complete, valid UTF-8 JSON object (too deep, truncated, bad escapes or lone surrogates included).</summary>
    /// <param name="promptScratch">Receives the canonical prompt when it cannot be a slice of the body.</param>
    /// <param name="maxPromptBytes">Prompt bytes past this cannot change the chain; they are not copied.</param>
    /// <param name="maxModelLength">Longest <c>model</c> accepted, in UTF-16 characters.</param>
    public static bool TryParse(ReadOnlySpan<byte> body, PooledBuffer promptScratch, int maxPromptBytes, int maxModelLength, out OpenAiRequest request)
    {
        request = default;
        promptScratch.Clear();
        if (!Utf8.IsValid(body))
            return false;
        try
        {
            return TryRead(body, promptScratch, maxPromptBytes, maxModelLength, out request);
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            // A string that cannot be transcoded (an escaped lone surrogate) or a token of the wrong type.
            return false;
        }
    }

    private static bool TryRead(ReadOnlySpan<byte> body, PooledBuffer scratch, int maxPromptBytes, int maxModelLength, out OpenAiRequest request)
    {
        request = default;
        var reader = new Utf8JsonReader(body, RequestJson.ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return false;

        string? model = null;
        var modelTooLong = false;
        Range modelToken = default, prompt = default;
        var stream = false;
        var hasMessages = false;
        var inScratch = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    modelToken = (int)reader.TokenStartIndex..(int)reader.BytesConsumed;
                    // Decoded only when it can fit: a 15 MB name must not become a 30 MB string first.
                    modelTooLong = reader.ValueSpan.Length > maxModelLength * 6L;
                    model = modelTooLong ? null : reader.GetString();
                    if (model is not null && model.Length > maxModelLength)
                    {
                        modelTooLong = true;
                        model = null;
                    }
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
                // Chat messages win over a prompt, wherever each appears.
                reader.Read();
                scratch.Clear();
                PromptText.WriteMessages(ref reader, body, scratch, maxPromptBytes);
                hasMessages = inScratch = true;
            }
            else if ((reader.ValueTextEquals("prompt"u8) || reader.ValueTextEquals("input"u8)) && !hasMessages)
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && reader.ValueIsEscaped)
                {
                    scratch.Clear();
                    PromptText.AppendString(ref reader, scratch, maxPromptBytes);
                    inScratch = true;
                }
                else if (reader.TokenType == JsonTokenType.String)
                {
                    // Content between the quotes, used in place.
                    prompt = ((int)reader.TokenStartIndex + 1)..((int)reader.BytesConsumed - 1);
                    inScratch = false;
                }
                else
                {
                    // Token arrays, multimodal parts: hashed as their raw JSON.
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    prompt = start..(int)reader.BytesConsumed;
                    inScratch = false;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        // The object must close, and nothing but whitespace may follow it (Read throws on trailing content).
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            return false;

        request = new OpenAiRequest
        {
            Model = model,
            ModelTooLong = modelTooLong,
            ModelToken = modelToken,
            Prompt = prompt,
            PromptInScratch = inScratch,
            Stream = stream,
        };
        return true;
    }
}
