using Microsoft.Extensions.Logging;

namespace InferenceMesh.Dapr;

internal static partial class DaprLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Delivery on {PubSub}/{Topic} dropped (unreadable payload or the handler said DROP)")]
    public static partial void UnreadableOrDropped(ILogger logger, string pubSub, string topic);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Handler dropped message {MessageId} on {PubSub}/{Topic}")]
    public static partial void Dropped(ILogger logger, string pubSub, string topic, string messageId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Handler for {PubSub}/{Topic} failed; asking for redelivery")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string pubSub, string topic);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Dapr sidecar at {Endpoint} is reachable")]
    public static partial void SidecarReady(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Dapr sidecar at {Endpoint} not reachable after {Seconds} s; readiness stays down until it is")]
    public static partial void SidecarMissing(ILogger logger, string endpoint, int seconds);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "In-memory delivery of {MessageId} on {PubSub}/{Topic} to group {Group} gave up after {Attempts} attempts")]
    public static partial void InMemoryGaveUp(ILogger logger, string pubSub, string topic, string group, string messageId, int attempts);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Error, Message = "In-memory handler for {PubSub}/{Topic} in group {Group} failed on {MessageId}")]
    public static partial void InMemoryHandlerFailed(ILogger logger, Exception exception, string pubSub, string topic, string group, string messageId);
}
