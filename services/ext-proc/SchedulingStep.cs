using Grpc.Core;
using InferenceMesh.Contracts;

namespace InferenceMesh.ExtProc;

/// <summary>The scheduler's answer for one request: the response and the destination value, or why not.</summary>
internal readonly record struct ScheduleResult(ScheduleResponse? Response, string Destination, Rejection Rejection)
{
    public bool IsScheduled => Response is not null;
}

/// <summary>Asks the scheduler for an endpoint, waiting at most the decision timeout. A failed or timed-out call is a 503
/// (FailClose, the default) or, with FailOpen, an endpoint of the proxy's subset hint, else a failed ext_proc stream so the
/// proxy's own failure mode decides; never a blind forward. A refusal maps to GIE's status; the destination is the
/// primary, or primary + fallbacks when <c>IncludeFallbacks</c> is on.</summary>
internal sealed partial class SchedulingStep
{
    /// <summary>The scheduler replica name a fail-open decision carries (its completion frees nothing anywhere).</summary>
    public const string FailOpenReplica = "fail-open";

    private readonly ISchedulingService _scheduling;
    private readonly bool _includeFallbacks;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;
    private readonly bool _failOpen;
    private readonly TimeProvider _time;
    private int _next;

    public SchedulingStep(ISchedulingService scheduling, bool includeFallbacks, ILogger logger,
        TimeSpan? decisionTimeout = null, bool failOpen = false, TimeProvider? time = null)
    {
        _scheduling = scheduling;
        _includeFallbacks = includeFallbacks;
        _logger = logger;
        _timeout = decisionTimeout ?? Timeout.InfiniteTimeSpan;
        _failOpen = failOpen;
        _time = time ?? TimeProvider.System;
    }

    public async ValueTask<ScheduleResult> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken)
    {
        ScheduleResponse response;
        // One source per call: the deadline, which the caller's token also cancels (a linked source would be a second one).
        using var deadline = new CancellationTokenSource(_timeout, _time);
        using var callerGone = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), deadline);
        try
        {
            response = await _scheduling.ScheduleAsync(request, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            LogDecisionTimedOut(_logger, request.RequestId, (long)_timeout.TotalMilliseconds);
            return Failed(request, "scheduler did not answer in time");
        }
        catch (Exception ex)
        {
            LogSchedulerFailed(_logger, request.RequestId, ex);
            return Failed(request, "scheduler unavailable");
        }
        if (response.Outcome != ScheduleOutcome.Scheduled || string.IsNullOrEmpty(response.Endpoint))
            return new ScheduleResult(null, "", Rejection.From(response));
        return new ScheduleResult(response, Destination(response, _includeFallbacks), default);
    }

    /// <summary>The failure policy: FailClose answers 503; FailOpen takes the subset hint's endpoints in turn, or, without a
    /// hint (the picker knows no endpoints of its own), ends the stream with UNAVAILABLE for the proxy's failure mode.</summary>
    private ScheduleResult Failed(ScheduleRequest request, string reason)
    {
        if (!_failOpen)
            return new ScheduleResult(null, "", Rejection.Unavailable(reason));
        if (request.Subset is not { Count: > 0 } subset)
            throw new RpcException(new Status(StatusCode.Unavailable, reason));
        var endpoint = subset[(int)((uint)Interlocked.Increment(ref _next) % (uint)subset.Count)];
        LogFailOpen(_logger, request.RequestId, endpoint);
        var response = new ScheduleResponse(ScheduleOutcome.Scheduled, endpoint, [], 200, reason, FailOpenReplica, 0);
        return new ScheduleResult(response, endpoint, default);
    }

    /// <summary>Header and metadata value: the primary, then the fallbacks comma-separated (first = primary).</summary>
    public static string Destination(ScheduleResponse response, bool includeFallbacks) =>
        !includeFallbacks || response.Fallbacks.Count == 0
            ? response.Endpoint!
            : response.Endpoint + "," + string.Join(',', response.Fallbacks);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Scheduler call for request {RequestId} failed")]
    private static partial void LogSchedulerFailed(ILogger logger, string requestId, Exception exception);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "Scheduler gave no answer for request {RequestId} within {TimeoutMs} ms")]
    private static partial void LogDecisionTimedOut(ILogger logger, string requestId, long timeoutMs);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "Fail-open: request {RequestId} goes to {Endpoint} from the subset hint without a scheduling decision")]
    private static partial void LogFailOpen(ILogger logger, string requestId, string endpoint);
}
