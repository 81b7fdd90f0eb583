using StatusCode = Grpc.Core.StatusCode;

namespace InferenceMesh.Gateway;

internal sealed partial class GatewayProxy
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "ext_proc call failed with {Status}: {Message}")]
    private static partial void LogExtProcFailed(ILogger logger, StatusCode status, string message);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "ext_proc stream failed with {Status} before a decision; retrying on another replica (retry {Retry})")]
    private static partial void LogExtProcRetried(ILogger logger, StatusCode status, int retry);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Upstream request failed")]
    private static partial void LogTransportFailed(ILogger logger, Exception exception);
}
