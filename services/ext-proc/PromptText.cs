using System.Text.Json;
using InferenceMesh.Prefix.Hashing;

namespace InferenceMesh.ExtProc;

/// <summary>The prompt in the canonical form the prefix hash chain is computed over: a completion prompt's text
/// (unescaped), or a chat request's messages as <c>role ‖ '\n' ‖ content ‖ '\n'</c> each (libs/Prefix's form). Written
/// by the request parser from its own reader, so the body is read once, with one set of options.</summary>
internal static class PromptText
{
    /// <summary>The canonical bytes of a parsed request: from the scratch buffer, or a slice of the body.</summary>
    public static ReadOnlySpan<byte> Get(ReadOnlySpan<byte> body, in OpenAiRequest request, PooledBuffer scratch) =>
        request.PromptInScratch ? scratch.Span : body[request.Prompt];

    /// <summary>Writes the canonical form of the <c>messages</c> value the reader is on, and leaves the reader at its end.
    /// Writing stops at the first element that is not an object, or at <paramref name="maxBytes"/>; the rest is skipped.</summary>
    public static void WriteMessages(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, PooledBuffer scratch, int maxBytes)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }
        var role = new PooledBuffer();
        var content = new PooledBuffer();
        try
        {
            var writing = true;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                writing &= reader.TokenType == JsonTokenType.StartObject && scratch.Length < maxBytes;
                if (!writing)
                {
                    reader.Skip();
                    continue;
                }
                role.Clear();
                content.Clear();
                ReadMessage(ref reader, body, role, content, maxBytes);
                var length = PrefixHasher.ChatMessageLength(role.Length, content.Length);
                scratch.Advance(PrefixHasher.WriteChatMessage(role.Span, content.Span, scratch.GetSpan(length)));
            }
        }
        finally
        {
            role.Dispose();
            content.Dispose();
        }
    }

    private static void ReadMessage(ref Utf8JsonReader reader, ReadOnlySpan<byte> body, PooledBuffer role, PooledBuffer content, int maxBytes)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                    AppendString(ref reader, role, int.MaxValue);
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
                    content.Append(body[start..(int)reader.BytesConsumed]);
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    /// <summary>Appends the string the reader is on, unescaped, at most <paramref name="maxBytes"/> of it.</summary>
    /// <exception cref="InvalidOperationException">An escape that is not valid UTF-16 (a lone surrogate).</exception>
    public static void AppendString(ref Utf8JsonReader reader, PooledBuffer output, int maxBytes)
    {
        // The reader runs over one contiguous span, so ValueSpan holds the whole token.
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
