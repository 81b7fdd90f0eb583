using InferenceMesh.VllmSim;

namespace InferenceMesh.Embedded.Ensemble;

/// <summary>What the in-process ensemble runs: the simulated fleet and the pool it forms.</summary>
internal sealed record EnsembleOptions
{
    /// <summary>InferencePool name shared by the collector, the scheduler and ext-proc.</summary>
    public string Pool { get; init; } = "qwen";

    /// <summary>Simulated servers.</summary>
    public int Servers { get; init; } = 5;

    /// <summary>Server profile name (a10, l20, h100).</summary>
    public string Profile { get; init; } = "l20";

    /// <summary>Simulated ms per wall ms: 10 replays a minute of traffic in six seconds.</summary>
    public double TimeScale { get; init; } = 10;

    /// <summary>LoRA adapters every server serves (like the seeds: two adapters, one GPU slot).</summary>
    public IReadOnlyList<string> Adapters { get; init; } = ["sql-lora", "chat-lora"];

    /// <summary>Seed of the scheduler's tie-breaks and of the least-request picker.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Address the gateway listens on (loopback unless serving others).</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>Gateway port; 0 picks a free one.</summary>
    public int GatewayPort { get; init; }

    /// <summary>Prefix-index store: <see cref="PrefixBackend.Garnet"/> (the redis backend on an in-process Garnet) or
    /// <see cref="PrefixBackend.Memory"/>.</summary>
    public string PrefixBackend { get; init; } = Ensemble.PrefixBackend.Garnet;

    /// <summary>Minimum level of the services' logs (the console stays readable by default).</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Served base model name.</summary>
    public string Model { get; init; } = new SimServerOptions().ModelName;

    public SimServerOptions ServerOptions() => new()
    {
        ModelName = Model,
        Profile = SimProfile.Get(Profile),
        LoraModules = [.. Adapters.Select(a => new LoraModule(a, "/adapters/" + a))],
        MaxLoras = 1,
    };
}
