using System.Net;
using InferenceMesh.Contracts;

namespace InferenceMesh.Dapr;

/// <summary>A typed service invocation got a non-success status from the callee (passed through by the sidecar) or from the sidecar itself.</summary>
public sealed class DaprInvocationException : DaprApiException
{
    public DaprInvocationException()
    {
    }

    public DaprInvocationException(string message)
        : base(message)
    {
    }

    public DaprInvocationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DaprInvocationException(string message, string appId, string method, HttpStatusCode statusCode, string? errorCode, string? body, ProblemReason? problem)
        : base(message, statusCode, errorCode)
    {
        AppId = appId;
        Method = method;
        Body = body;
        Problem = problem;
    }

    /// <summary>The callee app-id.</summary>
    public string? AppId { get; }

    /// <summary>The invoked method path.</summary>
    public string? Method { get; }

    /// <summary>The response body as text (truncated to 4 KB).</summary>
    public string? Body { get; }

    /// <summary>The body parsed as a <see cref="ProblemReason"/> when it was one.</summary>
    public ProblemReason? Problem { get; }
}
