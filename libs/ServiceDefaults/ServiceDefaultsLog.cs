using Microsoft.Extensions.Logging;

namespace InferenceMesh.ServiceDefaults;

internal static partial class ServiceDefaultsLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "{AppId} replica {ReplicaId} started")]
    public static partial void Started(ILogger logger, string appId, string replicaId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "{AppId} replica {ReplicaId} stopping: readiness is down, draining for up to {Seconds} s")]
    public static partial void Stopping(ILogger logger, string appId, string replicaId, int seconds);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "{AppId} replica {ReplicaId} stopped")]
    public static partial void Stopped(ILogger logger, string appId, string replicaId);
}
