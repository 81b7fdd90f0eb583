using System.ComponentModel.DataAnnotations;

namespace InferenceMesh.Scheduling;

/// <summary>Cost model of the predicted-TTFT scorer, the dispatch backlog and TTFT objectives (the tie is the picker's <c>tie</c> parameter). Defaults fit a 7B-class model on an A10/L20-class GPU.</summary>
public sealed record PredictedTtftOptions
{
    /// <summary>Prefill time per uncached prompt token.</summary>
    [Range(0.000001, 1000)]
    public double PrefillMsPerToken { get; set; } = 0.17;

    /// <summary>Attention cost per (uncached token × prompt token): what makes very long prompts superlinear.</summary>
    [Range(0, 1)]
    public double AttentionMsPerTokenPair { get; set; } = 6e-6;

    /// <summary>Fixed per-request cost (scheduling step, first decode).</summary>
    [Range(0, 100_000)]
    public double OverheadMs { get; set; } = 20;

    /// <summary>Extra wait per request already in the running batch (chunked prefill shares steps with decode).</summary>
    [Range(0, 100_000)]
    public double RunningRequestMs { get; set; } = 0.5;

    /// <summary>Prompt characters per token, to turn request bytes into tokens.</summary>
    [Range(0.1, 100)]
    public double CharsPerToken { get; set; } = 4;

    /// <summary>Tokens per prefix-index block (64 characters = 16 tokens).</summary>
    [Range(1, 100_000)]
    public int PrefixBlockTokens { get; set; } = 16;

    /// <summary>Penalty at full KV (scaled from the KV threshold up), for preemption and eviction risk.</summary>
    [Range(0, 1_000_000)]
    public double KvFullPenaltyMs { get; set; } = 2000;

    /// <summary>Scale each endpoint's predicted queue wait and prefill by its measured decode speed (streamed completions'
    /// time per output token after the first) over the pool's mean: another GPU type or a slowed server costs what it
    /// takes. Off: every endpoint is assumed to run at the configured speed.</summary>
    public bool MeasuredSpeed { get; set; } = true;

    /// <summary>Speeds within this ratio of the pool's mean count as equal (identical servers differ by their load
    /// this much); beyond it the ratio is divided by it.</summary>
    [Range(1, 100)]
    public double SpeedTolerance { get; set; } = 1.25;

    /// <summary>A streamed completion measures its server's decode speed only when its decode (first token to completion)
    /// lasted at least this long (ms): ext-proc times the first body bytes on the proxy path, not in the server, to the
    /// millisecond, so a decode of a few tens of ms is mostly that path's jitter (identical servers then measured up to
    /// 1.5 × apart). Real decodes last seconds. 100 ms also dropped short answers that measured well in the bench (the
    /// Mooncake overload's throughput 245 → 237 tok/s); 50 did not.</summary>
    [Range(0, 600_000)]
    public double MinDecodeMs { get; set; } = 50;

    /// <summary>Prefix credit is withheld from an endpoint whose saturation is at least this (refuse to pile onto a hot server).</summary>
    [Range(0, 100)]
    public double PrefixLoadGate { get; set; } = 1.0;
}
