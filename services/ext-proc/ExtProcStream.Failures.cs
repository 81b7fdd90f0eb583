using Grpc.Core;

namespace InferenceMesh.ExtProc;

/// <summary>How a stream that failed ends: nothing leaves the handler as gRPC UNKNOWN (which Envoy turns into a bare 500
/// and Grpc.AspNetCore logs as an error with its stack), and a client that went away is not an error at all.</summary>
internal sealed partial class ExtProcStream
{
    private async ValueTask OnFailureAsync(Exception ex)
    {
        if (IsClientGone(ex))
        {
            // Envoy resets the stream when its downstream client disconnects: routine, not worth a page.
            LogClientGone(_p.Logger, RequestId);
            return;
        }
        LogFailed(_p.Logger, RequestId, ex);
        if (!_decided)
        {
            _decided = true;
            _p.Metrics.Request(_resolved.Label, CriticalityName(_resolved.Criticality), "rejected_500");
            try
            {
                await WriteAsync(ExtProcResponses.Error(Rejection.Internal)).ConfigureAwait(false);
                return;
            }
            catch (Exception writeFailure) when (IsClientGone(writeFailure))
            {
                return;
            }
        }
        // Decided already (the request went upstream): end the stream with a status Envoy maps to 500, details generic.
        throw new RpcException(new Status(StatusCode.Internal, "internal error"));
    }

    /// <summary>A reset or transport failure reading or writing the stream (Kestrel's reset and abort exceptions are
    /// IOException and OperationCanceledException, sometimes before the call's token is cancelled), or its cancellation.</summary>
    private static bool IsClientGone(Exception ex) => ex is IOException or OperationCanceledException;
}
