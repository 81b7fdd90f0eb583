namespace InferenceMesh.VllmSim;

/// <summary>Profiles for the seeds' other deployments (issue 17); derivations in docs/vllm-sim.md "Seed profiles".</summary>
public static class SeedProfiles
{
    /// <summary>QwQ-32B (Qwen/QwQ-32B: 64 layers, 40 query / 8 KV heads of 128, bf16) on one node of 4 × A10 24 GB with
    /// <c>--tensor-parallel-size 4</c> (seed 004: 5 such nodes). Scaled from <see cref="SimProfile.A10"/> (Qwen2.5-7B on
    /// one A10) by the model's public shape: 4.3× the FLOPs per token over 4 GPUs plus PCIe all-reduces (β, T_w), 64 KiB of
    /// KV per token per GPU (b), and ≈ 3.6 GiB per GPU left for KV after 15.3 GiB of weights at 0.9 memory utilisation.</summary>
    public static SimProfile QwQ32bTp4A10 { get; } = new()
    {
        Name = "qwq-32b-tp4-a10", PrefillMsPerToken = 0.28, AttentionMsPerTokenPair = 5e-6, StepBaseMs = 37, ContextMsPerToken = 140e-6,
        CpuOverheadMs = 2, NewRequestOverheadMs = 20, NumGpuBlocks = 3700, MaxNumSeqs = 256, MaxNumBatchedTokens = 2048, MaxModelLen = 32768,
    };
}
