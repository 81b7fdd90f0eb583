using Microsoft.AspNetCore.Http;

namespace InferenceMesh.DaprStandIn;

/// <summary>Service invocation: forwards <c>/v1.0/invoke/{appId}/method/{path}</c> to the target app and passes its answer through.</summary>
internal sealed class InvokeApi(DaprStandInOptions options, Func<Uri?> ownApp, HttpClient client)
{
    private int _next = -1;

    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Transfer-Encoding", "Keep-Alive", "Upgrade", "Proxy-Connection", "TE", "Trailer", "dapr-api-token",
    };

    public async Task InvokeAsync(HttpContext context, string appId, string path)
    {
        var targets = Resolve(appId);
        if (targets.Count == 0)
        {
            await HttpApi.WriteErrorAsync(context, new StandInError(Grpc.Core.StatusCode.Internal, 500, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {appId}, err: couldn't find service: {appId}"));
            return;
        }
        byte[]? body = null;
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            // Buffered so the call can move on to another replica when one refuses the connection.
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        var first = targets.Count == 1 ? 0 : (int)((uint)Interlocked.Increment(ref _next) % (uint)targets.Count);
        for (var attempt = 0; ; attempt++)
        {
            var target = targets[(first + attempt) % targets.Count];
            try
            {
                await ForwardAsync(context, target, path, body);
                return;
            }
            catch (HttpRequestException ex) when (attempt + 1 < targets.Count && Refused(ex))
            {
                // Not delivered: the next replica gets it (the dead one stays resolvable, as until its endpoint is removed).
            }
            catch (HttpRequestException ex) when (!context.Response.HasStarted)
            {
                await HttpApi.WriteErrorAsync(context, new StandInError(Grpc.Core.StatusCode.Internal, 500, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {appId}, err: {ex.Message}"));
                return;
            }
        }
    }

    private IReadOnlyList<Uri> Resolve(string appId)
    {
        if (appId == options.AppId && ownApp() is { } own)
            return [own];
        if (options.NameResolver?.Invoke(appId) is { Count: > 0 } replicas)
            return replicas;
        return options.AppAddresses.TryGetValue(appId, out var address) ? [address] : [];
    }

    private static bool Refused(HttpRequestException ex) =>
        ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused };

    private async Task ForwardAsync(HttpContext context, Uri target, string path, byte[]? body)
    {
        var uri = new Uri(target, "/" + path + context.Request.QueryString);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), uri);
        if (body is not null)
            request.Content = new ByteArrayContent(body);
        foreach (var header in context.Request.Headers)
        {
            if (HopHeaders.Contains(header.Key))
                continue;
            if (!request.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!))
                request.Content?.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!);
        }
        if (options.AppApiToken is not null)
            request.Headers.TryAddWithoutValidation("dapr-api-token", options.AppApiToken);
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var header in response.Headers)
            {
                if (!HopHeaders.Contains(header.Key))
                    context.Response.Headers[header.Key] = header.Value.ToArray();
            }
            foreach (var header in response.Content.Headers)
                context.Response.Headers[header.Key] = header.Value.ToArray();
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }
}
