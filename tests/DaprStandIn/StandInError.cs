using Grpc.Core;

namespace InferenceMesh.DaprStandIn;

/// <summary>A failure as daprd reports it: an error code and message, with the gRPC status daprd's API answers with and
/// the HTTP status of its HTTP API.</summary>
internal sealed class StandInError(StatusCode grpcStatus, int httpStatus, string errorCode, string message) : Exception(message)
{
    public StatusCode GrpcStatus { get; } = grpcStatus;

    public int HttpStatus { get; } = httpStatus;

    public string ErrorCode { get; } = errorCode;

    public RpcException ToRpc() => new(new Status(GrpcStatus, $"{ErrorCode}: {Message}"));

    public static StandInError StoreNotFound(string store) =>
        new(StatusCode.InvalidArgument, 400, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");

    public static StandInError PubSubNotFound(string pubsub) =>
        new(StatusCode.InvalidArgument, 404, "ERR_PUBSUB_NOT_FOUND", $"pubsub {pubsub} not found");

    public static StandInError InvalidETag(string code, string etag) =>
        new(StatusCode.InvalidArgument, 400, code, $"invalid etag value: {etag}");

    public static StandInError ETagMismatch(string code, string detail) =>
        new(StatusCode.Aborted, 409, code, $"possible etag mismatch. error from state store: {detail}");
}
