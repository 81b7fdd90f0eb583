using System.Text.Json;
using InferenceMesh.Prefix.Hashing;

namespace InferenceMesh.ExtProc;

/// <summary>The prompt in the canonical form the prefix hash chain is computed over: a completion prompt's text
/// (unescaped), or a chat request's messages as <c>role ‖ '\n' ‖ content ‖ '\n'</c> each (libs/Prefix's form).</summary>
internal static class PromptText
{
    /// <summary>The canonical bytes: a slice of <paramref name="body"/> when no copy is needed, else written to <paramref name="scratch"/>.</summary>
    /// <param name="maxBytes">Bytes beyond this cannot change the chain (max blocks × block size × 4); they are not copied.</param>
    public static ReadOnlySpan<byte> Get(ReadOnlySpan<byte> body, in OpenAiRequest request, PooledBuffer scratch, int maxBytes)
    {
        var raw = body[request.Prompt];
        switch (request.Kind)
        {
            case PromptKind.Text when !request.PromptEscaped:
                return raw;
            case PromptKind.Text:
                Unescape(raw, scratch, maxBytes);
                return scratch.Span;
            case PromptKind.Messages:
                WriteMessages(raw, scratch, maxBytes);
                return scratch.Span;
            case PromptKind.Raw:
                return raw;
            default:
                return [];
        }
    }

    private static void Unescape(ReadOnlySpan<byte> inner, PooledBuffer scratch, int maxBytes)
    {
        // Re-read the string token (quotes included) so the JSON reader does the unescaping.
        var token = new PooledBuffer();
        try
        {
            token.Append("\""u8);
            token.Append(inner);
            token.Append("\""u8);
            var reader = new Utf8JsonReader(token.Span);
            reader.Read();
            AppendString(ref reader, scratch, maxBytes);
        }
        finally
        {
            token.Dispose();
        }
    }

    private static void WriteMessages(ReadOnlySpan<byte> array, PooledBuffer scratch, int maxBytes)
    {
        var reader = new Utf8JsonReader(array);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            return;
        while (scratch.Length < maxBytes && reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            ReadOnlySpan<byte> role = [];
            var roleBuffer = new PooledBuffer();
            var content = new PooledBuffer();
            try
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("role"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String)
                            AppendString(ref reader, roleBuffer, int.MaxValue);
                        else
                            reader.Skip();
                    }
                    else if (reader.ValueTextEquals("content"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String)
                        {
                            AppendString(ref reader, content, maxBytes);
                        }
                        else
                        {
                            // Content parts (text/image arrays): hashed as their raw JSON.
                            var start = (int)reader.TokenStartIndex;
                            reader.Skip();
                            content.Append(array[start..(int)reader.BytesConsumed]);
                        }
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
                role = roleBuffer.Span;
                var length = PrefixHasher.ChatMessageLength(role.Length, content.Length);
                var written = PrefixHasher.WriteChatMessage(role, content.Span, scratch.GetSpan(length));
                scratch.Advance(written);
            }
            finally
            {
                roleBuffer.Dispose();
                content.Dispose();
            }
        }
    }

    private static void AppendString(ref Utf8JsonReader reader, PooledBuffer output, int maxBytes)
    {
        // The readers here run over one contiguous span, so ValueSpan holds the whole token.
        if (!reader.ValueIsEscaped)
        {
            var span = reader.ValueSpan;
            output.Append(span[..Math.Min(span.Length, Math.Max(0, maxBytes))]);
            return;
        }
        var written = reader.CopyString(output.GetSpan(reader.ValueSpan.Length));
        output.Advance(Math.Min(written, Math.Max(0, maxBytes)));
    }
}
