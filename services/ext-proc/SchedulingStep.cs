using InferenceMesh.Contracts;

namespace InferenceMesh.ExtProc;

/// <summary>The scheduler's answer for one request: the response and the destination value, or why not.</summary>
internal readonly record struct ScheduleResult(ScheduleResponse? Response, string Destination, Rejection Rejection)
{
    public bool IsScheduled => Response is not null;
}

/// <summary>Asks the scheduler for an endpoint. A failed call is a 503 (the cause goes to the log, not to the client), never a blind forward; a refusal maps to GIE's
/// status; the destination is the primary, or primary + fallbacks when <c>IncludeFallbacks</c> is on.</summary>
internal sealed partial class SchedulingStep
{
    private readonly ISchedulingService _scheduling;
    private readonly bool _includeFallbacks;
    private readonly ILogger _logger;

    public SchedulingStep(ISchedulingService scheduling, bool includeFallbacks, ILogger logger)
    {
        _scheduling = scheduling;
        _includeFallbacks = includeFallbacks;
        _logger = logger;
    }

    public async ValueTask<ScheduleResult> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken)
    {
        ScheduleResponse response;
        try
        {
            response = await _scheduling.ScheduleAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            LogSchedulerFailed(_logger, request.RequestId, ex);
            return new ScheduleResult(null, "", Rejection.Unavailable("scheduler unavailable"));
        }
        if (response.Outcome != ScheduleOutcome.Scheduled || string.IsNullOrEmpty(response.Endpoint))
            return new ScheduleResult(null, "", Rejection.From(response));
        return new ScheduleResult(response, Destination(response, _includeFallbacks), default);
    }

    /// <summary>Header and metadata value: the primary, then the fallbacks comma-separated (first = primary).</summary>
    public static string Destination(ScheduleResponse response, bool includeFallbacks) =>
        !includeFallbacks || response.Fallbacks.Count == 0
            ? response.Endpoint!
            : response.Endpoint + "," + string.Join(',', response.Fallbacks);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Scheduler call for request {RequestId} failed")]
    private static partial void LogSchedulerFailed(ILogger logger, string requestId, Exception exception);
}
