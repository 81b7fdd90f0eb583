using System.Text.Json.Serialization;

namespace InferenceMesh.Contracts;

/// <summary>How a schedule call ended. Every outcome maps to one HTTP status for the client.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ScheduleOutcome>))]
public enum ScheduleOutcome
{
    Scheduled = 0,
    /// <summary>No candidate endpoint (none in the pool, or none in the subset): 503.</summary>
    NoCandidates = 1,
    /// <summary>Sheddable request while the pool is saturated: 429.</summary>
    Shed = 2,
    /// <summary>Queue capacity exceeded: 429.</summary>
    QueueFull = 3,
    /// <summary>Waited past its TTL: 503.</summary>
    Expired = 4,
    /// <summary>The caller went away while queued: 503.</summary>
    Cancelled = 5,
    /// <summary>Malformed request: 400.</summary>
    BadRequest = 6,
}
