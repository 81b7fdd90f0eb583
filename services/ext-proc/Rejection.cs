using InferenceMesh.Contracts;

namespace InferenceMesh.ExtProc;

/// <summary>Why a request is refused: the ImmediateResponse status, the GIE error code and a message. Messages are short
/// and fixed (or the scheduler's own wording): never an exception's text or an internal address.</summary>
/// <param name="OpenAiShape">Answer with OpenAI's JSON error body (<c>{"error":{...}}</c>) instead of GIE's text line.</param>
internal readonly record struct Rejection(int Status, string Code, string Reason, bool OpenAiShape = false)
{
    /// <summary>Any body that is not a complete, valid UTF-8 JSON object.</summary>
    public static readonly Rejection InvalidBody = BadRequest("invalid request body");

    public static readonly Rejection ModelMissing = BadRequest("model not found in request body");

    public static readonly Rejection ModelTooLong = BadRequest("model name too long");

    /// <summary>A model no InferenceModel of the pool serves, under the <c>reject</c> policy (OpenAI's 404 shape).</summary>
    public static readonly Rejection ModelNotFound = new(404, "model_not_found", "The model does not exist.", OpenAiShape: true);

    /// <summary>The picker failed unexpectedly; the cause is in the log, not in the answer.</summary>
    public static readonly Rejection Internal = new(500, "Internal", "internal error");

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
