namespace InferenceMesh.Contracts;

/// <summary>scheduler → ext-proc: where to send the request, or why not.</summary>
/// <param name="Outcome">The outcome.</param>
/// <param name="Endpoint">Primary endpoint "ip:port" when scheduled.</param>
/// <param name="Fallbacks">Further endpoints in preference order.</param>
/// <param name="StatusCode">HTTP status for the client (200 when scheduled).</param>
/// <param name="Reason">Human-readable reason when not scheduled.</param>
/// <param name="SchedulerReplica">The replica that holds the in-flight slot; completions go back to it.</param>
/// <param name="QueuedMs">Time spent in the queue.</param>
public sealed record ScheduleResponse(
    ScheduleOutcome Outcome,
    string? Endpoint,
    IReadOnlyList<string> Fallbacks,
    int StatusCode,
    string? Reason,
    string SchedulerReplica,
    double QueuedMs);
