using System.ComponentModel.DataAnnotations;
using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index.Redis;

namespace InferenceMesh.Prefix.Index;

/// <summary>Configuration section <c>PrefixIndex</c>.</summary>
public sealed record PrefixIndexOptions : IValidatableObject
{
    /// <summary>The section name.</summary>
    public const string Section = "PrefixIndex";

    /// <summary><c>memory</c> (one process), <c>redis</c> (Redis or Garnet through StackExchange.Redis, shared) or <c>dapr</c>
    /// (Dapr state API, shared).</summary>
    [Required]
    [RegularExpression("^(memory|redis|dapr)$", ErrorMessage = "must be memory, redis or dapr")]
    public string Backend { get; init; } = "memory";

    /// <summary>StackExchange.Redis connection string (<c>host:port,password=…,user=…,ssl=true,protocol=resp3,connectTimeout=…</c>)
    /// or a <c>redis://</c> / <c>rediss://</c> URI; backend redis.</summary>
    public string? Redis { get; init; }

    /// <summary>PEM file of the CA that signed the Redis server's TLS certificate, when it is not in the system's trust store.</summary>
    public string? RedisCaCertificate { get; init; }

    /// <summary>Root of every key this index writes (redis and dapr).</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.-]+$", ErrorMessage = "letters, digits, '_', '.', '-' only")]
    public string KeyPrefix { get; init; } = "pi";

    /// <summary>Blocks kept per endpoint (and model) until its capacity is set (reference default: 31,250).</summary>
    [Range(1, 100_000_000)]
    public int DefaultCapacity { get; init; } = 31_250;

    /// <summary>Which endpoints' capacities the schedulers' cache-hit evidence moves (<c>POST /capacity-feedback</c>,
    /// <see cref="CapacityCalibration"/>). <see cref="CapacityFeedbackMode.WhenUnknown"/> (default): only capacities that
    /// are a guess (<see cref="DefaultCapacity"/>, no <c>num_gpu_blocks</c> from the engine) — where a wrong guess forgets
    /// prefixes the server still holds or promises ones it never kept; an engine-reported size is trusted (moving it too,
    /// <see cref="CapacityFeedbackMode.Always"/>, made it wander ±25 % around the true size and cost p90 on one replay,
    /// docs/benchmarks/precise-prefix.md). <see cref="CapacityFeedbackMode.Off"/>: answered with the capacities unchanged.</summary>
    [EnumDataType(typeof(CapacityFeedbackMode))]
    public CapacityFeedbackMode CapacityFeedback { get; init; } = CapacityFeedbackMode.WhenUnknown;

    /// <summary>Blocks added to an endpoint's capacity per over-block (served from the server's cache beyond what the index
    /// promised). Grow and shrink are in the ratio 2:1 (1 / 0.5): on an eviction-heavy replay the capacity then settles at
    /// the server's true KV size from a guess 2.2 × too small or 5 × too large; 1 / 0.5 got there faster than 0.5 / 0.25
    /// (p90 3.14 vs 3.41 s and 2.92 vs 4.86 s, docs/benchmarks/precise-prefix.md) and larger steps did no better.</summary>
    [Range(0.0, 100.0)]
    public double CapacityGrowPerBlock { get; init; } = 1.0;

    /// <summary>Blocks removed from an endpoint's capacity per under-block (promised by the index, not served). Half of
    /// <see cref="CapacityGrowPerBlock"/> on purpose: a reset (restarted, cache-flushed) server produces a burst of
    /// under-evidence for prefixes it lost all at once, and the smaller step keeps that burst from collapsing the capacity.</summary>
    [Range(0.0, 100.0)]
    public double CapacityShrinkPerBlock { get; init; } = 0.5;

    /// <summary>Feedback never shrinks a capacity below this many blocks: an endpoint whose capacity collapsed could never
    /// be promised enough to produce the over-evidence that grows it back.</summary>
    [Range(1, 100_000_000)]
    public int MinCapacity { get; init; } = 256;

    /// <summary>Feedback never grows a capacity beyond this many blocks: bounds the index's memory per endpoint (≈ 113 B per
    /// block on redis) whatever the evidence says (4,000,000 blocks ≈ 450 MB there).</summary>
    [Range(1, 100_000_000)]
    public int MaxCapacity { get; init; } = 4_000_000;

    /// <summary>Most hashes accepted per request.</summary>
    [Range(1, 4096)]
    public int MaxHashes { get; init; } = 256;

    /// <summary>Most candidate endpoints accepted per request.</summary>
    [Range(1, 4096)]
    public int MaxCandidates { get; init; } = 512;

    /// <summary>Per-command limit against Redis (StackExchange.Redis sync and async timeout); a slow store must not hold routing back.</summary>
    [Range(1, 60_000)]
    public int RedisTimeoutMs { get; init; } = 500;

    /// <summary>Dapr state store component (backend dapr).</summary>
    [Required]
    public string StateStore { get; init; } = DaprNames.StateStore;

    /// <summary>Seconds a block entry lives in the Dapr state store without being refreshed (backend dapr; 0 = forever).</summary>
    [Range(0, 30 * 24 * 3600)]
    public int DaprEntryTtlSeconds { get; init; } = 3600;

    /// <summary>Purge an endpoint once it has been missing from its pool's metrics snapshots this long (0 = never).</summary>
    [Range(0, 7 * 24 * 3600)]
    public int PurgeAbsentAfterSeconds { get; init; } = 300;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinCapacity > MaxCapacity)
            yield return new ValidationResult($"must not exceed MaxCapacity ({MaxCapacity})", [nameof(MinCapacity)]);
        if (Backend == "redis" && string.IsNullOrWhiteSpace(Redis))
            yield return new ValidationResult("is required when Backend is redis (e.g. localhost:6379)", [nameof(Redis)]);
        if (Backend == "redis" && !string.IsNullOrWhiteSpace(Redis))
        {
            string? error = null;
            try
            {
                RedisConfiguration.Parse(Redis);
            }
            catch (FormatException ex)
            {
                error = ex.Message;
            }
            if (error is not null)
                yield return new ValidationResult(error, [nameof(Redis)]);
        }
        if (Backend == "redis" && !string.IsNullOrWhiteSpace(RedisCaCertificate) && !File.Exists(RedisCaCertificate))
            yield return new ValidationResult($"file '{RedisCaCertificate}' does not exist", [nameof(RedisCaCertificate)]);
    }
}
