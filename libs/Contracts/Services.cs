namespace InferenceMesh.Contracts;

/// <summary>The scheduler's API as callers see it: over Dapr invocation in the distributed mode, in-process when embedded.</summary>
public interface ISchedulingService
{
    /// <summary>Places a request; waits while it is queued; returns the endpoint or why not.</summary>
    ValueTask<ScheduleResponse> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken);

    /// <summary>Frees the in-flight accounting of a finished or abandoned request.</summary>
    ValueTask CompleteAsync(RequestCompletion completion, CancellationToken cancellationToken);
}

/// <summary>The prefix index's API as callers see it.</summary>
public interface IPrefixIndexService
{
    ValueTask<PrefixMatchResponse> MatchAsync(PrefixMatchRequest request, CancellationToken cancellationToken);

    ValueTask RecordAsync(PrefixRecordRequest request, CancellationToken cancellationToken);

    ValueTask<PrefixMatchResponse> MatchAndRecordAsync(PrefixMatchAndRecordRequest request, CancellationToken cancellationToken);
}
