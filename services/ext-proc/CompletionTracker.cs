using InferenceMesh.Contracts;

namespace InferenceMesh.ExtProc;

/// <summary>Reports a request's end to the scheduler exactly once, once scheduling has started: at the response's end,
/// or when the stream ends early (reset, or the client gone while queued), so the queue slot and in-flight accounting
/// are always freed.</summary>
internal sealed partial class CompletionTracker
{
    private static readonly TimeSpan ReportTimeout = TimeSpan.FromSeconds(10);

    private readonly ISchedulingService _scheduling;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private string _requestId = "";
    private ScheduleResponse? _scheduled;
    private string? _served;
    private bool _started;
    private bool _reported;
    private long _firstTokenAtMs;

    public CompletionTracker(ISchedulingService scheduling, TimeProvider time, ILogger logger)
    {
        _scheduling = scheduling;
        _time = time;
        _logger = logger;
    }

    /// <summary>A schedule call went out: from here on a completion is owed, even if the call is cancelled.</summary>
    public bool Pending => _started && !_reported;

    public void Started(string requestId)
    {
        _requestId = requestId;
        _started = true;
    }

    public void Scheduled(ScheduleResponse response) => _scheduled = response;

    /// <summary>Response body bytes of a streamed completion passed: the first call marks the first token's time.</summary>
    public void FirstBytes()
    {
        if (_firstTokenAtMs == 0)
            _firstTokenAtMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>The endpoint the proxy reports it used (null = not reported: the primary is assumed).</summary>
    public void Served(string? endpoint) => _served = endpoint ?? _served;

    /// <summary>The endpoint the completion is charged to: the served one when reported, else the primary.</summary>
    public string Endpoint => _served ?? _scheduled?.Endpoint ?? "";

    public async ValueTask ReportAsync(int status, int promptTokens, int completionTokens, int? cachedTokens = null)
    {
        if (!Pending)
            return;
        _reported = true;
        var completion = new RequestCompletion(
            _requestId, _scheduled?.SchedulerReplica ?? "", Endpoint, status, promptTokens, completionTokens,
            _time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            FirstTokenAtUnixMs = _firstTokenAtMs,
            CachedTokens = cachedTokens,
        };
        try
        {
            // The stream may already be gone; the report must still reach the scheduler.
            using var timeout = new CancellationTokenSource(ReportTimeout, _time);
            await _scheduling.CompleteAsync(completion, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCompletionFailed(_logger, _requestId, ex);
        }
    }

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Completion report for request {RequestId} failed")]
    private static partial void LogCompletionFailed(ILogger logger, string requestId, Exception exception);
}
