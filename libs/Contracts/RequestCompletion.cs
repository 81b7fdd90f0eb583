namespace InferenceMesh.Contracts;

/// <summary>A finished (or abandoned) request, reported by ext-proc so the dispatching scheduler frees its in-flight slot.</summary>
public sealed record RequestCompletion(
    string RequestId,
    string SchedulerReplica,
    string Endpoint,
    int StatusCode,
    int PromptTokens,
    int CompletionTokens,
    long CompletedAtUnixMs)
{
    /// <summary>When the response's first body bytes (the first token) passed ext-proc, on the same clock as
    /// <see cref="CompletedAtUnixMs"/>; 0 = not seen (a non-streamed or failed response).</summary>
    public long FirstTokenAtUnixMs { get; init; }

    /// <summary>Prompt tokens the server served from its prefix cache (<c>usage.prompt_tokens_details.cached_tokens</c>);
    /// null = not reported (vLLM reports it with <c>--enable-prompt-tokens-details</c>).</summary>
    public int? CachedTokens { get; init; }
}
