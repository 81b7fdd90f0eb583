using System.Buffers.Text;
using System.Text.Json;

namespace InferenceMesh.Dapr;

/// <summary>Unwraps a delivery body: a CloudEvent's <c>data</c> (JSON) or <c>data_base64</c>, or the whole body when it is not an envelope.</summary>
internal static class CloudEventReader
{
    /// <summary>Returns the payload bytes and the envelope's attributes; false when the body is not valid JSON.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> body, string defaultTopic, string defaultPubSub, out ReadOnlyMemory<byte> data, out CloudEventInfo info)
    {
        data = body;
        info = new CloudEventInfo(string.Empty, defaultTopic, defaultPubSub, null, null, null);
        string? id = null, topic = null, pubsub = null, source = null, type = null, traceParent = null, dataBase64 = null;
        var specVersion = false;
        var dataStart = -1;
        var dataLength = 0;
        try
        {
            var reader = new Utf8JsonReader(body.Span);
            if (!reader.Read())
                return false;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return true;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                var escaped = reader.ValueIsEscaped;
                reader.Read();
                if (!escaped && name.SequenceEqual("data"u8))
                {
                    dataStart = (int)reader.TokenStartIndex;
                    reader.Skip();
                    dataLength = (int)reader.BytesConsumed - dataStart;
                    continue;
                }
                if (reader.TokenType != JsonTokenType.String)
                {
                    reader.Skip();
                    continue;
                }
                if (escaped)
                    continue;
                if (name.SequenceEqual("specversion"u8))
                    specVersion = true;
                else if (name.SequenceEqual("id"u8))
                    id = reader.GetString();
                else if (name.SequenceEqual("topic"u8))
                    topic = reader.GetString();
                else if (name.SequenceEqual("pubsubname"u8))
                    pubsub = reader.GetString();
                else if (name.SequenceEqual("source"u8))
                    source = reader.GetString();
                else if (name.SequenceEqual("type"u8))
                    type = reader.GetString();
                else if (name.SequenceEqual("traceparent"u8))
                    traceParent = reader.GetString();
                else if (name.SequenceEqual("data_base64"u8))
                    dataBase64 = reader.GetString();
            }
        }
        catch (JsonException)
        {
            return false;
        }
        if (!specVersion)
            return true;
        info = new CloudEventInfo(id ?? string.Empty, topic ?? defaultTopic, pubsub ?? defaultPubSub, source, type, traceParent);
        if (dataStart >= 0)
        {
            data = body.Slice(dataStart, dataLength);
        }
        else if (dataBase64 is not null)
        {
            var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(dataBase64.Length)];
            if (!Convert.TryFromBase64String(dataBase64, bytes, out var written))
                return false;
            data = bytes.AsMemory(0, written);
        }
        else
        {
            data = ReadOnlyMemory<byte>.Empty;
        }
        return true;
    }
}
