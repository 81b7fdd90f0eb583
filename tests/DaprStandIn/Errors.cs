using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace InferenceMesh.DaprStandIn;

/// <summary>Dapr's error body: <c>{"errorCode": ..., "message": ...}</c>.</summary>
internal static class Errors
{
    public static async Task WriteAsync(HttpContext context, int status, string errorCode, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("errorCode", errorCode);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }
}
