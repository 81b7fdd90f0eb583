using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace InferenceMesh.EndToEnd.Tests.Support;

/// <summary>What a client saw of one OpenAI request through a gateway.</summary>
public sealed record OpenAiResult(int Status, string? ServedBy, string Content, bool SawDone, int CompletionTokens, string Body);

/// <summary>A minimal OpenAI chat client: JSON or SSE, reading the gateway's served-by header.</summary>
public static class OpenAi
{
    public const string ServedByHeader = "x-inferencemesh-served-by";

    public static async Task<OpenAiResult> SendAsync(HttpClient http, Uri gateway, string model, IReadOnlyList<(string Role, string Content)> messages, bool stream, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "v1/chat/completions"));
        request.Content = new ByteArrayContent(Body(model, messages, stream, maxTokens));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var servedBy = response.Headers.TryGetValues(ServedByHeader, out var v) ? v.FirstOrDefault() : null;
        var body = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        if (status != 200)
            return new OpenAiResult(status, servedBy, "", false, 0, body);
        if (!stream)
        {
            using var doc = JsonDocument.Parse(body);
            var content = doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() ?? "";
            var tokens = doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
            return new OpenAiResult(status, servedBy, content, false, tokens, body);
        }
        var text = new StringBuilder();
        var done = false;
        var completion = 0;
        foreach (var line in body.Split('\n'))
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal))
                continue;
            var data = line[5..].Trim();
            if (data == "[DONE]")
            {
                done = true;
                continue;
            }
            using var doc = JsonDocument.Parse(data);
            if (doc.RootElement.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object)
                completion = u.GetProperty("completion_tokens").GetInt32();
            foreach (var choice in doc.RootElement.GetProperty("choices").EnumerateArray())
            {
                if (choice.TryGetProperty("delta", out var d) && d.TryGetProperty("content", out var c))
                    text.Append(c.GetString());
            }
        }
        return new OpenAiResult(status, servedBy, text.ToString(), done, completion, body);
    }

    private static byte[] Body(string model, IReadOnlyList<(string Role, string Content)> messages, bool stream, int maxTokens)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("model", model);
            w.WriteStartArray("messages");
            foreach (var (role, content) in messages)
            {
                w.WriteStartObject();
                w.WriteString("role", role);
                w.WriteString("content", content);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("max_tokens", maxTokens);
            w.WriteBoolean("stream", stream);
            if (stream)
            {
                w.WriteStartObject("stream_options");
                w.WriteBoolean("include_usage", true);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
