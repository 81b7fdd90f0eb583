using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>A request waiting in a band for capacity.</summary>
internal sealed class QueuedRequest
{
    public QueuedRequest(ScheduleRequest request, PrefixMatchResponse? match, PoolRuntime pool, long enqueuedTimestamp, long deadlineMs)
    {
        Request = request;
        Match = match;
        Pool = pool;
        EnqueuedTimestamp = enqueuedTimestamp;
        DeadlineMs = deadlineMs;
        Node = new LinkedListNode<QueuedRequest>(this);
    }

    public ScheduleRequest Request { get; }
    public PrefixMatchResponse? Match { get; }
    public PoolRuntime Pool { get; }
    public long EnqueuedTimestamp { get; }
    public long DeadlineMs { get; }
    public LinkedListNode<QueuedRequest> Node { get; }
    public FlowQueue? Flow { get; set; }
    public TaskCompletionSource<ScheduleResponse> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public long Bytes => Math.Max(0, Request.PromptBytes);
}
