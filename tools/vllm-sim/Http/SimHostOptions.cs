namespace InferenceMesh.VllmSim.Http;

/// <summary>How to serve a simulated fleet over HTTP.</summary>
public sealed record SimHostOptions
{
    /// <summary>Number of independent servers, on consecutive ports from <see cref="Port"/>.</summary>
    public int Servers { get; init; } = 1;

    /// <summary>First port; 0 gives every server an ephemeral port (tests).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>Address to listen on.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>k: simulated time runs k× faster than wall time. Reported latencies stay in simulated time.</summary>
    public double TimeScale { get; init; } = 1;

    /// <summary>Every server's model, adapters and profile.</summary>
    public SimServerOptions Server { get; init; } = new();

    /// <summary>Output length of a chat completion that gives no <c>max_tokens</c> (a real model would stop at EOS).</summary>
    public int DefaultChatMaxTokens { get; init; } = 256;

    /// <summary>Output length of a completion that gives no <c>max_tokens</c> (vLLM's default is 16).</summary>
    public int DefaultCompletionMaxTokens { get; init; } = 16;

    /// <summary>KV events (vLLM's <c>--kv-events-config</c>, zmq publisher): 0 = off; K &gt; 0 = the server on HTTP port p
    /// publishes on p + K and answers replays on p + 2K (ephemeral ports when <see cref="Port"/> is 0).</summary>
    public int KvEventsPortOffset { get; init; }

    /// <summary>Topic of the KV-event messages (vLLM's <c>topic</c>).</summary>
    public string KvEventsTopic { get; init; } = "kv-events";

    /// <summary>Throws if a value is out of range, naming it.</summary>
    public void Validate()
    {
        if (Servers < 1)
            throw new ArgumentException("Servers must be at least 1");
        if (Port is < 0 or > 65535 || (Port > 0 && Port + Servers - 1 > 65535))
            throw new ArgumentException($"Port {Port} with {Servers} servers is out of range");
        if (KvEventsPortOffset < 0 || (Port > 0 && KvEventsPortOffset > 0 && Port + Servers - 1 + (2 * KvEventsPortOffset) > 65535))
            throw new ArgumentException($"KvEventsPortOffset {KvEventsPortOffset} puts a KV-event port out of range");
        if (!(TimeScale > 0) || double.IsInfinity(TimeScale))
            throw new ArgumentException("TimeScale must be a positive number");
        if (DefaultChatMaxTokens < 1 || DefaultCompletionMaxTokens < 1)
            throw new ArgumentException("default max tokens must be at least 1");
        if (Server.LoraModules.Count > 0 && Server.MaxLoras < 1)
            throw new ArgumentException("MaxLoras must be at least 1 when LoRA modules are served");
        Server.Profile.Validate();
    }
}
