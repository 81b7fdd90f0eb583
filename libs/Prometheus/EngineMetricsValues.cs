namespace InferenceMesh.Prometheus;

/// <summary>What the scheduler needs from one scrape, independent of the engine's metric names.</summary>
/// <param name="Waiting">Queued requests (summed over data-parallel engines).</param>
/// <param name="Running">Requests in the running batch (summed).</param>
/// <param name="KvUsage">KV-cache usage 0..1 (the highest over engines).</param>
/// <param name="RunningLoras">Comma-separated running adapters of the newest LoRA info series; empty when none.</param>
/// <param name="WaitingLoras">Comma-separated waiting adapters; empty when none.</param>
/// <param name="MaxLoras">Adapter slots; 0 when unknown.</param>
/// <param name="BlockSize">Tokens per KV block; 0 when unknown.</param>
/// <param name="NumBlocks">KV blocks; 0 when unknown.</param>
public readonly record struct EngineMetricsValues(
    int Waiting,
    int Running,
    double KvUsage,
    string RunningLoras,
    string WaitingLoras,
    int MaxLoras,
    int BlockSize,
    int NumBlocks);
