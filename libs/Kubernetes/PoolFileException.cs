namespace InferenceMesh.Kubernetes;

/// <summary>The local pool file could not be read; the message names the document and what is wrong.</summary>
public sealed class PoolFileException : Exception
{
    public PoolFileException()
    {
    }

    public PoolFileException(string message)
        : base(message)
    {
    }

    public PoolFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
