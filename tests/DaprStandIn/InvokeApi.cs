using Microsoft.AspNetCore.Http;

namespace InferenceMesh.DaprStandIn;

/// <summary>Service invocation: forwards <c>/v1.0/invoke/{appId}/method/{path}</c> to the target app and passes its answer through.</summary>
internal sealed class InvokeApi(DaprStandInOptions options, Func<Uri?> ownApp, HttpClient client)
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Transfer-Encoding", "Keep-Alive", "Upgrade", "Proxy-Connection", "TE", "Trailer", "dapr-api-token",
    };

    public async Task InvokeAsync(HttpContext context, string appId, string path)
    {
        var target = appId == options.AppId ? ownApp() : options.AppAddresses.GetValueOrDefault(appId);
        if (target is null)
        {
            await Errors.WriteAsync(context, 500, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {appId}, err: couldn't find service: {appId}");
            return;
        }
        var uri = new Uri(target, "/" + path + context.Request.QueryString);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), uri);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            request.Content = new StreamContent(context.Request.Body);
        }
        foreach (var header in context.Request.Headers)
        {
            if (HopHeaders.Contains(header.Key))
                continue;
            if (!request.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!))
                request.Content?.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string>)header.Value!);
        }
        if (options.AppApiToken is not null)
            request.Headers.TryAddWithoutValidation("dapr-api-token", options.AppApiToken);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (HttpRequestException ex)
        {
            await Errors.WriteAsync(context, 500, "ERR_DIRECT_INVOKE", $"failed to invoke, id: {appId}, err: {ex.Message}");
            return;
        }
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
