using InferenceMesh.Contracts;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Scheduling;

public sealed partial class SchedulingService
{
    private long _lastFeedbackMs;
    private int _feedbackSending;

    /// <summary>The capacity evidence of this replica's completions since the last take (per endpoint, blocks served
    /// beyond the approximate index's promise and promised but not served), emptied. The timer sends it to prefix-index
    /// every <see cref="SchedulerOptions.CapacityFeedbackIntervalMs"/> when the prefix client takes feedback; a host
    /// without one (the bench) takes it here.</summary>
    public IReadOnlyList<PrefixCapacityEvidence> TakeCapacityEvidence()
    {
        lock (_gate)
            return _evidence.Take();
    }

    /// <summary>The evidence to send now, taken (null when not due, nothing to send, a send still running, or no prefix
    /// client that takes feedback). Caller holds the gate (the timer's tick).</summary>
    private List<PrefixCapacityEvidence>? TakeDueCapacityFeedbackLocked(long nowMs)
    {
        if (_options.CapacityFeedbackIntervalMs <= 0 || _prefix is not IPrefixCapacityFeedbackService || _evidence.Count == 0
            || nowMs - _lastFeedbackMs < _options.CapacityFeedbackIntervalMs || Volatile.Read(ref _feedbackSending) != 0)
            return null;
        _lastFeedbackMs = nowMs;
        _feedbackSending = 1;
        return _evidence.Take();
    }

    private async Task SendCapacityFeedbackAsync(IPrefixCapacityFeedbackService feedback, List<PrefixCapacityEvidence> evidence)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(1_000, _options.CapacityFeedbackIntervalMs)), _time);
            await feedback.ApplyCapacityFeedbackAsync(new PrefixCapacityFeedback(evidence), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Kept for the next round: the evidence is a sum, nothing is lost by sending it late.
            lock (_gate)
                _evidence.Restore(evidence);
            LogCapacityFeedbackFailed(ex, evidence.Count);
        }
        finally
        {
            Volatile.Write(ref _feedbackSending, 0);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending the capacity evidence of {Count} endpoints to prefix-index failed; kept for the next round")]
    private partial void LogCapacityFeedbackFailed(Exception exception, int count);
}
