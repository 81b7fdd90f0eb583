namespace InferenceMesh.Bench.Replay;

/// <summary>The fleet a replay runs on.</summary>
/// <param name="Profile">Hardware profile name (a10, l20, h100).</param>
/// <param name="Servers">Server count.</param>
/// <param name="Model">Served base model name.</param>
/// <param name="Adapters">LoRA adapters every server can load.</param>
/// <param name="MaxLoras">Adapter slots per server.</param>
/// <param name="Seed">Seed for the servers' jitter, if any.</param>
public sealed record FleetSpec(
    string Profile,
    int Servers,
    string Model = "Qwen/Qwen2.5-7B-Instruct",
    IReadOnlyList<string>? Adapters = null,
    int MaxLoras = 0,
    int Seed = 1);
