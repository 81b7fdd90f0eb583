using System.Net;

namespace InferenceMesh.Dapr;

/// <summary>The sidecar answered an API call with an error; keeps the HTTP status and Dapr's <c>errorCode</c>.</summary>
public class DaprApiException : Exception
{
    public DaprApiException()
    {
    }

    public DaprApiException(string message)
        : base(message)
    {
    }

    public DaprApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DaprApiException(string message, HttpStatusCode statusCode, string? errorCode, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    /// <summary>HTTP status the sidecar answered with (0 when the sidecar could not be reached).</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>Dapr's error code, e.g. <c>ERR_STATE_SAVE</c>; null when the body carried none.</summary>
    public string? ErrorCode { get; }
}
