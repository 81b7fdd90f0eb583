using System.Net;

namespace InferenceMesh.Kubernetes;

/// <summary>The API server answered with an error status (HTTP or a watch ERROR event carrying a Status object).</summary>
public sealed class KubernetesApiException : Exception
{
    public KubernetesApiException()
    {
    }

    public KubernetesApiException(string message)
        : base(message)
    {
    }

    public KubernetesApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public KubernetesApiException(HttpStatusCode statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    /// <summary>The status; 410 Gone means the resourceVersion is too old and the caller must relist.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>Whether this is 410 Gone (resourceVersion expired).</summary>
    public bool IsGone => StatusCode == HttpStatusCode.Gone;
}
