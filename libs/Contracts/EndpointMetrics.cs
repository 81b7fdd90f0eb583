namespace InferenceMesh.Contracts;

/// <summary>One model server's latest scraped state.</summary>
/// <param name="Address">"ip:port" as routed by Envoy.</param>
/// <param name="Waiting">Requests waiting in the server's queue.</param>
/// <param name="Running">Requests in the running batch.</param>
/// <param name="KvUsage">KV-cache usage, 0..1.</param>
/// <param name="RunningLoras">LoRA adapters with running requests.</param>
/// <param name="WaitingLoras">LoRA adapters with waiting requests.</param>
/// <param name="MaxLoras">Adapter slots (vLLM max_loras); 0 when unknown.</param>
/// <param name="BlockSize">KV block size in tokens; 0 when unknown.</param>
/// <param name="NumBlocks">KV capacity in blocks; 0 when unknown.</param>
/// <param name="ScrapedAtUnixMs">When the numbers were read.</param>
/// <param name="Health">Whether the numbers can be trusted.</param>
public sealed record EndpointMetrics(
    string Address,
    int Waiting,
    int Running,
    double KvUsage,
    IReadOnlyList<string> RunningLoras,
    IReadOnlyList<string> WaitingLoras,
    int MaxLoras,
    int BlockSize,
    int NumBlocks,
    long ScrapedAtUnixMs,
    EndpointHealth Health);
