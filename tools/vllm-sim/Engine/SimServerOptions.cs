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
}

/// <summary>A LoRA adapter: the name requests use as <c>model</c>, and its path.</summary>
public sealed record LoraModule(string Name, string Path);
