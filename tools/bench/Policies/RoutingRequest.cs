using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Policies;

/// <summary>What a picker knows about a request when it must place it.</summary>
/// <param name="Index">Workload index (identical across policies in one run).</param>
/// <param name="RequestId">x-request-id.</param>
/// <param name="Model">Model the server must run: empty for the base model, else the LoRA adapter name.</param>
/// <param name="Criticality">InferenceModel band.</param>
/// <param name="BlockHashes">Chained hashes of the prompt's full 16-token blocks (see <c>PromptBlocks</c>).</param>
/// <param name="PromptTokens">Prompt length in tokens.</param>
/// <param name="MaxOutputTokens">max_tokens of the request.</param>
/// <param name="ArrivalMs">Simulated arrival time, ms from the start.</param>
public sealed record RoutingRequest(
    int Index,
    string RequestId,
    string Model,
    Criticality Criticality,
    IReadOnlyList<ulong> BlockHashes,
    int PromptTokens,
    int MaxOutputTokens,
    double ArrivalMs);
