using System.ComponentModel.DataAnnotations;
using InferenceMesh.Prefix.Hashing;

namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary>Configuration section <c>KvEvents</c>: following the model servers' KV-cache events (vLLM
/// <c>--kv-events-config</c>, zmq publisher) into the exact per-endpoint block sets. Needs the redis backend's store.</summary>
internal sealed record KvEventsOptions : IValidatableObject
{
    public const string Section = "KvEvents";

    /// <summary>Subscribe to every discovered endpoint's publisher.</summary>
    public bool Enabled { get; init; }

    /// <summary>The model the endpoints serve (the prompt chains' seed, <c>PrefixHasher.ModelSeed</c>); required when enabled.</summary>
    public string? Model { get; init; }

    /// <summary>PUB port on every endpoint's host (vLLM's <c>endpoint</c>, default tcp://*:5557).</summary>
    [Range(1, 65535)]
    public int PublisherPort { get; init; } = 5557;

    /// <summary>ROUTER replay port on every endpoint's host (vLLM's <c>replay_endpoint</c>).</summary>
    [Range(1, 65535)]
    public int ReplayPort { get; init; } = 5558;

    /// <summary>K &gt; 0: the ports are relative to the endpoint's own port p instead — PUB on p + K, replay on p + 2K
    /// (several servers on one host, like vllm-sim's <c>--kv-events-port-offset</c>).</summary>
    [Range(0, 30000)]
    public int PortOffset { get; init; }

    /// <summary>Topic subscribed (vLLM's <c>topic</c>).</summary>
    public string Topic { get; init; } = "kv-events";

    /// <summary>Writer lease per endpoint, ms; renewed every third of it. A replica that dies hands its endpoints over
    /// within this time.</summary>
    [Range(300, 600_000)]
    public int LeaseMs { get; init; } = 10_000;

    /// <summary>How long to wait for a replay's end marker before continuing without it, ms.</summary>
    [Range(10, 600_000)]
    public int ReplayTimeoutMs { get; init; } = 2_000;

    /// <summary>Stop following (and forget the set of) an endpoint missing from its pool's snapshots this long.</summary>
    [Range(1, 7 * 24 * 3600)]
    public int RemoveAbsentAfterSeconds { get; init; } = 30;

    /// <summary>Characters per prompt block; must equal the hashers' (ext-proc's) value.</summary>
    [Range(4, 1024)]
    public int BlockCharacters { get; init; } = PrefixHasher.DefaultBlockCharacters;

    /// <summary>Batches queued between the sockets and the writer; beyond it batches are dropped and recovered by replay.</summary>
    [Range(16, 1_000_000)]
    public int QueueCapacity { get; init; } = 10_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && string.IsNullOrWhiteSpace(Model))
            yield return new ValidationResult("KvEvents:Model is required when KvEvents:Enabled is true", [nameof(Model)]);
        if (string.IsNullOrEmpty(Topic) && Topic is null)
            yield return new ValidationResult("KvEvents:Topic must be set (may be empty)", [nameof(Topic)]);
        if (BlockCharacters % 4 != 0)
            yield return new ValidationResult("KvEvents:BlockCharacters must be a multiple of 4 (characters per token)", [nameof(BlockCharacters)]);
    }
}
