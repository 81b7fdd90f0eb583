using System.Net;

namespace InferenceMesh.Dapr;

/// <summary>A state write or delete lost an optimistic-concurrency race (HTTP 409): re-read and retry.</summary>
public sealed class DaprETagMismatchException : DaprApiException
{
    public DaprETagMismatchException()
    {
    }

    public DaprETagMismatchException(string message)
        : base(message)
    {
    }

    public DaprETagMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DaprETagMismatchException(string message, string? errorCode)
        : base(message, HttpStatusCode.Conflict, errorCode)
    {
    }
}
