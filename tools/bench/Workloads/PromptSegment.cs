namespace InferenceMesh.Bench.Workloads;

/// <summary>A run of prompt tokens whose content is determined by <see cref="Key"/>: equal keys at equal offsets give equal tokens.</summary>
/// <param name="Key">Content identity (a Mooncake hash_id, a shared-prefix id, a per-request id).</param>
/// <param name="Tokens">Length in tokens.</param>
public readonly record struct PromptSegment(ulong Key, int Tokens);
