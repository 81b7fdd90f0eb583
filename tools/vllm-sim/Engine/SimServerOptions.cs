namespace InferenceMesh.VllmSim;

/// <summary>One simulated vLLM instance: model, adapters and performance profile.</summary>
public sealed record SimServerOptions
{
    /// <summary>Served model name (<c>--served-model-name</c> / <c>--model</c>).</summary>
    public string ModelName { get; init; } = "Qwen/Qwen2.5-7B-Instruct";

    /// <summary>Performance and capacity parameters.</summary>
    public SimProfile Profile { get; init; } = SimProfile.L20;

    /// <summary>LoRA adapters served (<c>--lora-modules name=path</c>).</summary>
    public IReadOnlyList<LoraModule> LoraModules { get; init; } = [];

    /// <summary><c>--max-loras</c>: adapters active in one batch (GPU slots).</summary>
    public int MaxLoras { get; init; } = 1;

    /// <summary>Speed as a fraction of the profile's (a noisy neighbour or a throttled GPU): every step takes
    /// 1/<c>Speed</c> times as long. 1 = the profile's speed.</summary>
    public double Speed { get; init; } = 1.0;

    /// <summary>Periodic stalls: every <c>StallEveryMs</c> of simulated time the server does nothing for
    /// <see cref="StallMs"/> (a step due to start in the stall starts when it ends). 0 = no stalls.</summary>
    public double StallEveryMs { get; init; }

    /// <summary>Length of each stall, ms (must be below <see cref="StallEveryMs"/>).</summary>
    public double StallMs { get; init; }

    /// <summary>Throws if <see cref="Speed"/> or the stall pair is out of range, naming it.</summary>
    public void ValidateSlowdown()
    {
        if (!(Speed > 0 && Speed <= 1))
            throw new ArgumentException("simulator server parameter Speed must be in (0, 1]");
        if (StallEveryMs < 0 || StallMs < 0 || (StallMs > 0 && StallMs >= StallEveryMs))
            throw new ArgumentException("simulator server parameters StallEveryMs/StallMs: need 0 <= StallMs < StallEveryMs");
    }

    /// <summary>How long a step due at <paramref name="nowMs"/> waits for the current stall to end (0 outside stalls).</summary>
    internal double StallDelayMs(double nowMs)
    {
        if (StallMs <= 0)
            return 0;
        var phase = nowMs % StallEveryMs;
        return phase < StallMs ? StallMs - phase : 0;
    }
}

/// <summary>A LoRA adapter: the name requests use as <c>model</c>, and its path.</summary>
public sealed record LoraModule(string Name, string Path);
