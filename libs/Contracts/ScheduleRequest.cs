namespace InferenceMesh.Contracts;

/// <summary>ext-proc → scheduler: place one request.</summary>
/// <param name="RequestId">x-request-id.</param>
/// <param name="Pool">InferencePool name.</param>
/// <param name="Model">The model the client asked for.</param>
/// <param name="TargetModel">The model after InferenceModel rewrite (what the server runs), LoRA adapter name included.</param>
/// <param name="Criticality">Band.</param>
/// <param name="FairnessId">Flow inside the band.</param>
/// <param name="BlockHashes">Prefix block hash chain of the prompt.</param>
/// <param name="PromptBytes">Size of the request body; counts against band byte limits.</param>
/// <param name="Subset">Eligible endpoints from the proxy's subset hint; empty = all.</param>
/// <param name="TtlMs">How long the request may wait in the queue; 0 = the scheduler's default.</param>
/// <param name="TtftSloMs">Time-to-first-token objective (<c>x-slo-ttft-ms</c>); 0 = the scheduler's default for the model.</param>
public sealed record ScheduleRequest(
    string RequestId,
    string Pool,
    string Model,
    string TargetModel,
    Criticality Criticality,
    string FairnessId,
    IReadOnlyList<ulong> BlockHashes,
    long PromptBytes,
    IReadOnlyList<string> Subset,
    int TtlMs,
    int TtftSloMs = 0);
