namespace InferenceMesh.ExtProc;

internal sealed partial class ExtProcStream
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Request {RequestId} model {Model} → {TargetModel} ({Criticality}) scheduled on {Endpoint} by {Replica}")]
    private static partial void LogScheduled(ILogger logger, string requestId, string model, string targetModel, InferenceMesh.Contracts.Criticality criticality, string endpoint, string replica);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Request {RequestId} rejected with {Status} {Code}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string requestId, int status, string code, string reason);

    [LoggerMessage(EventId = 15, Level = LogLevel.Debug, Message = "Request {RequestId}: the client went away (stream reset or cancelled)")]
    private static partial void LogClientGone(ILogger logger, string requestId);

    [LoggerMessage(EventId = 16, Level = LogLevel.Error, Message = "Request {RequestId}: the picker failed; answered 500")]
    private static partial void LogFailed(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(EventId = 14, Level = LogLevel.Debug, Message = "Request {RequestId}: stream ended before completion (status {Status})")]
    private static partial void LogAbandoned(ILogger logger, string requestId, int status);
}
