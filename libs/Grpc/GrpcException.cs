namespace InferenceMesh.Grpc;

/// <summary>Ends a call with a non-OK gRPC status; thrown by handlers, and by the client when the server returns one.</summary>
public sealed class GrpcException : Exception
{
    public GrpcException(GrpcStatusCode status, string message)
        : base(message) => Status = status;

    public GrpcException()
        : this(GrpcStatusCode.Unknown, "unknown gRPC error")
    {
    }

    public GrpcException(string message)
        : this(GrpcStatusCode.Unknown, message)
    {
    }

    public GrpcException(string message, Exception innerException)
        : base(message, innerException) => Status = GrpcStatusCode.Unknown;

    /// <summary>The status the call ends with.</summary>
    public GrpcStatusCode Status { get; }
}
