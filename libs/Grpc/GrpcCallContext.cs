using Microsoft.AspNetCore.Http;

namespace InferenceMesh.Grpc;

/// <summary>One server call: its HTTP context and the token that fires on client cancellation (RST_STREAM),
/// on the <c>grpc-timeout</c> deadline, or on server shutdown.</summary>
public sealed class GrpcCallContext
{
    internal GrpcCallContext(HttpContext httpContext, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        HttpContext = httpContext;
        CancellationToken = cancellationToken;
        Timeout = timeout;
    }

    public HttpContext HttpContext { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>The client's <c>grpc-timeout</c>, when it sent one.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>A request header (gRPC custom metadata), or null.</summary>
    public string? GetHeader(string name)
    {
        var v = HttpContext.Request.Headers[name];
        return v.Count == 0 ? null : v[0];
    }
}
