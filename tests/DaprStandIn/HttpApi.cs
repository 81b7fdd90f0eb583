using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace InferenceMesh.DaprStandIn;

/// <summary>The sidecar's HTTP port: health (<c>/v1.0/healthz</c>, <c>/v1.0/healthz/outbound</c>, no token needed, as in
/// daprd) and service invocation (<c>/v1.0/invoke/{app}/method/...</c>, or any path with the <c>dapr-app-id</c> header).</summary>
internal static class HttpApi
{
    public static void Map(WebApplication app, DaprStandInOptions options, InvokeApi invoke, Func<bool> healthy)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/v1.0/healthz", StringComparison.Ordinal))
            {
                context.Response.StatusCode = healthy() ? StatusCodes.Status204NoContent : StatusCodes.Status500InternalServerError;
                return;
            }
            if (!Authorized(context, options.ApiToken))
            {
                await WriteErrorAsync(context, new StandInError(Grpc.Core.StatusCode.Unauthenticated, 401, "ERR_API_TOKEN", "invalid api token"));
                return;
            }
            if (context.Request.Headers["dapr-app-id"].ToString() is { Length: > 0 } appId)
            {
                await invoke.InvokeAsync(context, appId, context.Request.Path.Value!.TrimStart('/'));
                return;
            }
            await next(context);
        });
        app.Map("/v1.0/invoke/{appId}/method/{**path}", (HttpContext c, string appId, string? path) => invoke.InvokeAsync(c, appId, path ?? string.Empty));
    }

    /// <summary>daprd's HTTP error body: <c>{"errorCode": ..., "message": ...}</c>.</summary>
    public static async Task WriteErrorAsync(HttpContext context, StandInError error)
    {
        context.Response.StatusCode = error.HttpStatus;
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("errorCode", error.ErrorCode);
            writer.WriteString("message", error.Message);
            writer.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    private static bool Authorized(HttpContext context, string? token)
    {
        if (token is null)
            return true;
        var presented = context.Request.Headers["dapr-api-token"].ToString();
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(token));
    }
}
