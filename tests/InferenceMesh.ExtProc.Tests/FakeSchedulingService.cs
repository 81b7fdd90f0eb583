using System.Collections.Concurrent;
using InferenceMesh.Contracts;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>A scheduler double: answers with <see cref="Handler"/> and records every call.</summary>
internal sealed class FakeSchedulingService : ISchedulingService
{
    public ConcurrentQueue<ScheduleRequest> Requests { get; } = new();

    public ConcurrentQueue<RequestCompletion> Completions { get; } = new();

    public TaskCompletionSource ScheduleCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource ScheduleEntered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Func<ScheduleRequest, CancellationToken, Task<ScheduleResponse>> Handler { get; set; } =
        (r, _) => Task.FromResult(Scheduled("10.0.0.1:8000"));

    public static ScheduleResponse Scheduled(string endpoint, params string[] fallbacks) =>
        new(ScheduleOutcome.Scheduled, endpoint, fallbacks, 200, null, "scheduler-a", 0);

    public static ScheduleResponse Refused(ScheduleOutcome outcome, int status, string reason) =>
        new(outcome, null, [], status, reason, "scheduler-a", 0);

    /// <summary>Waits until cancelled, then reports it: a request stuck in the queue.</summary>
    public void BlockUntilCancelled() => Handler = async (_, ct) =>
    {
        ScheduleEntered.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        finally
        {
            ScheduleCancelled.TrySetResult();
        }
        throw new InvalidOperationException("unreachable");
    };

    public async ValueTask<ScheduleResponse> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        return await Handler(request, cancellationToken);
    }

    public ValueTask CompleteAsync(RequestCompletion completion, CancellationToken cancellationToken)
    {
        Completions.Enqueue(completion);
        return ValueTask.CompletedTask;
    }
}
