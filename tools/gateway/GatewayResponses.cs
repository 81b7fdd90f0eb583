using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.Gateway;

/// <summary>Answers the gateway writes itself: an ext_proc filter's immediate response, or a failure.</summary>
internal static class GatewayResponses
{
    public static async Task WriteImmediateAsync(HttpContext context, ImmediateResponse immediate, CancellationToken ct)
    {
        var response = context.Response;
        var status = (int)(immediate.Status?.Code ?? 0);
        response.StatusCode = status is >= 200 and < 600 ? status : StatusCodes.Status200OK;
        var headers = new ResponseHeaders(response);
        HeaderMutations.Apply(immediate.Headers, ref headers, setsHopByHop: true);
        response.ContentLength = immediate.Body.Length;
        await response.Body.WriteAsync(immediate.Body.Memory, ct).ConfigureAwait(false);
    }

    /// <summary>A plain-text error, as Envoy's local replies; once the response has started, the connection is reset.</summary>
    public static async Task FailAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }
        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message, context.RequestAborted).ConfigureAwait(false);
    }
}
