namespace InferenceMesh.Scheduler;

/// <summary>Answer of <c>POST /complete</c>: whether this replica held the request's in-flight slot.</summary>
public sealed record CompleteResult(bool Freed);
