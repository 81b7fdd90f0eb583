namespace InferenceMesh.Contracts;

/// <summary>A finished (or abandoned) request, reported by ext-proc so the dispatching scheduler frees its in-flight slot.</summary>
public sealed record RequestCompletion(
    string RequestId,
    string SchedulerReplica,
    string Endpoint,
    int StatusCode,
    int PromptTokens,
    int CompletionTokens,
    long CompletedAtUnixMs);
