namespace InferenceMesh.VllmSim;

/// <summary>
/// Performance and capacity parameters of one simulated vLLM instance (REFERENCE.md §6, docs/vllm-sim.md).
/// Step time = τ_cpu + T_w + β·max(0, tokens − knee) + b·Σcontext + c·Σ causal pairs of prefill chunks + α (if a request starts) + LoRA loads.
/// </summary>
public sealed record SimProfile
{
    /// <summary>Profile name (a10, l20, h100, or custom).</summary>
    public required string Name { get; init; }

    /// <summary>β: prefill cost per uncached prompt token, ms.</summary>
    public double PrefillMsPerToken { get; init; }

    /// <summary>c: attention cost per (query token, key token) pair under the causal mask, ms; matters for long prompts
    /// (a chunk of k tokens after s computed ones costs c·(k·s + k(k+1)/2)).</summary>
    public double AttentionMsPerTokenPair { get; init; }

    /// <summary>T_w: fixed cost of one forward step (reading the weights), ms.</summary>
    public double StepBaseMs { get; init; }

    /// <summary>b: cost per context token held by the batch (reading the KV cache), ms.</summary>
    public double ContextMsPerToken { get; init; }

    /// <summary>τ_cpu: scheduler / sampling overhead per step, ms.</summary>
    public double CpuOverheadMs { get; init; }

    /// <summary>α: extra cost of a step in which at least one request runs its first prefill chunk, ms.</summary>
    public double NewRequestOverheadMs { get; init; }

    /// <summary>Tokens a step processes within <see cref="StepBaseMs"/> (memory-bound regime); null = T_w / β.</summary>
    public int? KneeTokens { get; init; }

    /// <summary>KV capacity in 16-token blocks (<c>num_gpu_blocks</c>).</summary>
    public int NumGpuBlocks { get; init; }

    /// <summary>Tokens per KV block.</summary>
    public int BlockSize { get; init; } = SimPrompt.BlockSize;

    /// <summary><c>max_num_seqs</c>: most requests running at once.</summary>
    public int MaxNumSeqs { get; init; } = 256;

    /// <summary><c>max_num_batched_tokens</c>: token budget of one step (chunked prefill).</summary>
    public int MaxNumBatchedTokens { get; init; } = 2048;

    /// <summary><c>max_model_len</c>: longest prompt + output accepted.</summary>
    public int MaxModelLen { get; init; } = 32768;

    /// <summary>Cost of loading a LoRA adapter into a GPU slot, ms.</summary>
    public double LoraLoadMs { get; init; } = 10;

    /// <summary>The knee actually used.</summary>
    public int EffectiveKneeTokens => KneeTokens ?? (PrefillMsPerToken > 0 ? (int)(StepBaseMs / PrefillMsPerToken) : 0);

    /// <summary>KV capacity in tokens.</summary>
    public long KvCapacityTokens => (long)NumGpuBlocks * BlockSize;

    /// <summary>Qwen2.5-7B on an A10 (24 GB): ≈96k KV tokens.</summary>
    public static SimProfile A10 { get; } = new()
    {
        Name = "a10", PrefillMsPerToken = 0.17, AttentionMsPerTokenPair = 6e-6, StepBaseMs = 30, ContextMsPerToken = 120e-6,
        CpuOverheadMs = 1.5, NewRequestOverheadMs = 20, NumGpuBlocks = 6000, MaxNumSeqs = 256, MaxNumBatchedTokens = 2048,
    };

    /// <summary>Qwen2.5-7B on an L20 (48 GB): ≈496k KV tokens.</summary>
    public static SimProfile L20 { get; } = new()
    {
        Name = "l20", PrefillMsPerToken = 0.17, AttentionMsPerTokenPair = 6e-6, StepBaseMs = 21, ContextMsPerToken = 85e-6,
        CpuOverheadMs = 1.5, NewRequestOverheadMs = 20, NumGpuBlocks = 31000, MaxNumSeqs = 256, MaxNumBatchedTokens = 2048,
    };

    /// <summary>Qwen2.5-7B on an H100 (80 GB): ≈1.09M KV tokens.</summary>
    public static SimProfile H100 { get; } = new()
    {
        Name = "h100", PrefillMsPerToken = 0.026, AttentionMsPerTokenPair = 1e-6, StepBaseMs = 6.3, ContextMsPerToken = 22e-6,
        CpuOverheadMs = 1.5, NewRequestOverheadMs = 15, NumGpuBlocks = 68125, MaxNumSeqs = 1024, MaxNumBatchedTokens = 8192,
    };

    /// <summary>Names accepted by <see cref="Get"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["a10", "l20", "h100", "qwq-32b-tp4-a10"];

    /// <summary>The built-in profile called <paramref name="name"/> (case-insensitive).</summary>
    public static SimProfile Get(string name) => name?.ToUpperInvariant() switch
    {
        "A10" => A10,
        "L20" => L20,
        "H100" => H100,
        "QWQ-32B-TP4-A10" => SeedProfiles.QwQ32bTp4A10,
        _ => throw new ArgumentException($"unknown profile '{name}' (known: {string.Join(", ", Names)})", nameof(name)),
    };

    /// <summary>Throws if a parameter is out of range, naming it.</summary>
    public void Validate()
    {
        Check(PrefillMsPerToken >= 0, nameof(PrefillMsPerToken));
        Check(AttentionMsPerTokenPair >= 0, nameof(AttentionMsPerTokenPair));
        Check(StepBaseMs >= 0, nameof(StepBaseMs));
        Check(ContextMsPerToken >= 0, nameof(ContextMsPerToken));
        Check(CpuOverheadMs >= 0, nameof(CpuOverheadMs));
        Check(NewRequestOverheadMs >= 0, nameof(NewRequestOverheadMs));
        Check(StepBaseMs + CpuOverheadMs > 0, "StepBaseMs + CpuOverheadMs");
        Check(KneeTokens is null or >= 0, nameof(KneeTokens));
        Check(NumGpuBlocks >= 1, nameof(NumGpuBlocks));
        Check(BlockSize == SimPrompt.BlockSize, nameof(BlockSize));
        Check(MaxNumSeqs >= 1, nameof(MaxNumSeqs));
        Check(MaxNumBatchedTokens >= 1, nameof(MaxNumBatchedTokens));
        Check(MaxModelLen >= 2, nameof(MaxModelLen));
        Check(LoraLoadMs >= 0, nameof(LoraLoadMs));
    }

    private static void Check(bool ok, string name)
    {
        if (!ok)
            throw new ArgumentException($"simulator profile parameter {name} is out of range");
    }
}
