namespace InferenceMesh.ExtProc;

internal sealed partial class ExtProcStream
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Request {RequestId} model {Model} → {TargetModel} ({Criticality}) scheduled on {Endpoint} by {Replica}")]
    private static partial void LogScheduled(ILogger logger, string requestId, string model, string targetModel, InferenceMesh.Contracts.Criticality criticality, string endpoint, string replica);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Request {RequestId} rejected with {Status} {Code}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string requestId, int status, string code, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Scheduler call for request {RequestId} failed")]
    private static partial void LogSchedulerFailed(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Completion report for request {RequestId} failed")]
    private static partial void LogCompletionFailed(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(EventId = 14, Level = LogLevel.Debug, Message = "Request {RequestId}: stream ended before completion (status {Status})")]
    private static partial void LogAbandoned(ILogger logger, string requestId, int status);
}
