using InferenceMesh.Contracts;

namespace InferenceMesh.ExtProc;

/// <summary>Why a request is refused: the ImmediateResponse status, the GIE error code and a message.</summary>
internal readonly record struct Rejection(int Status, string Code, string Reason)
{
    public static Rejection BadRequest(string reason) => new(400, "BadRequest", reason);

    public static Rejection PayloadTooLarge(string reason) => new(413, "PayloadTooLarge", reason);

    public static Rejection Unavailable(string reason) => new(503, "ServiceUnavailable", reason);

    /// <summary>The scheduler's refusal as GIE maps it (sheddable while saturated and a full queue are 429).</summary>
    public static Rejection From(ScheduleResponse response)
    {
        var reason = response.Reason ?? response.Outcome.ToString();
        return response.Outcome switch
        {
            ScheduleOutcome.BadRequest => BadRequest(reason),
            ScheduleOutcome.Shed => new(429, "InferencePoolResourceExhausted", reason),
            ScheduleOutcome.QueueFull => new(429, "ResourceExhausted", reason),
            ScheduleOutcome.NoCandidates or ScheduleOutcome.Expired or ScheduleOutcome.Cancelled => Unavailable(reason),
            // Scheduled without an endpoint is a scheduler bug; refuse rather than guess.
            _ => new(response.StatusCode is >= 400 and < 600 ? response.StatusCode : 503, "ServiceUnavailable", reason),
        };
    }
}
