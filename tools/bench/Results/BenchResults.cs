using System.Text.Json.Serialization;

namespace InferenceMesh.Bench.Results;

/// <summary>The <c>--out</c> JSON of <c>bench replay</c>: one run, several policies on identical arrivals.</summary>
public sealed record BenchResults(
    [property: JsonPropertyName("tool")] string Tool,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("created_utc")] string CreatedUtc,
    [property: JsonPropertyName("workload")] WorkloadInfo Workload,
    [property: JsonPropertyName("fleet")] FleetInfo Fleet,
    [property: JsonPropertyName("results")] IReadOnlyList<PolicyResult> Results);

/// <summary>What was replayed.</summary>
public sealed record WorkloadInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("requests")] int Requests,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("concurrency")] int Concurrency,
    [property: JsonPropertyName("load_scale")] double LoadScale,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("input_tokens_mean")] double InputTokensMean,
    [property: JsonPropertyName("output_tokens_mean")] double OutputTokensMean,
    [property: JsonPropertyName("skipped_lines")] int SkippedLines);

/// <summary>The simulated fleet.</summary>
public sealed record FleetInfo(
    [property: JsonPropertyName("profile")] string Profile,
    [property: JsonPropertyName("servers")] int Servers,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("lora_adapters")] IReadOnlyList<string> LoraAdapters,
    [property: JsonPropertyName("max_loras")] int MaxLoras,
    [property: JsonPropertyName("block_size")] int BlockSize,
    [property: JsonPropertyName("kv_blocks_per_server")] int KvBlocksPerServer,
    [property: JsonPropertyName("max_num_seqs")] int MaxNumSeqs,
    [property: JsonPropertyName("max_num_batched_tokens")] int MaxNumBatchedTokens,
    [property: JsonPropertyName("scrape_interval_ms")] int ScrapeIntervalMs,
    [property: JsonPropertyName("time")] string Time);

/// <summary>One policy's figures.</summary>
public sealed record PolicyResult(
    [property: JsonPropertyName("policy")] string Policy,
    [property: JsonPropertyName("requests")] int Requests,
    [property: JsonPropertyName("completed")] int Completed,
    [property: JsonPropertyName("errors")] int Errors,
    [property: JsonPropertyName("errors_by_status")] IReadOnlyDictionary<string, int> ErrorsByStatus,
    [property: JsonPropertyName("ttft_ms")] Stats.LatencySummary TtftMs,
    [property: JsonPropertyName("tpot_ms")] Stats.LatencySummary TpotMs,
    [property: JsonPropertyName("e2e_ms")] Stats.LatencySummary E2eMs,
    [property: JsonPropertyName("output_tokens_per_s")] double OutputTokensPerS,
    [property: JsonPropertyName("duration_s")] double DurationS,
    [property: JsonPropertyName("prefix_hit_rate")] double PrefixHitRate,
    [property: JsonPropertyName("prefix_hits_tokens")] long PrefixHitsTokens,
    [property: JsonPropertyName("prefix_queries_tokens")] long PrefixQueriesTokens,
    [property: JsonPropertyName("request_prefix_hit_rate")] double RequestPrefixHitRate,
    [property: JsonPropertyName("kv_usage_max_over_mean")] double KvUsageMaxOverMean,
    [property: JsonPropertyName("preemptions")] long Preemptions,
    [property: JsonPropertyName("servers")] IReadOnlyList<ServerResult> Servers,
    [property: JsonPropertyName("by_criticality")] IReadOnlyDictionary<string, CriticalityResult>? ByCriticality,
    [property: JsonPropertyName("series")] SeriesData? Series)
{
    /// <summary>Picker replicas of a virtual replay (absent in older files and HTTP runs).</summary>
    [JsonPropertyName("replicas")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ReplicaResult? Replicas { get; init; }

    /// <summary>Prefill work, evictions and prefix-group spread of a virtual replay (absent in older files and HTTP runs).</summary>
    [JsonPropertyName("goodput")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public GoodputResult? Goodput { get; init; }
}

/// <summary>One server's share of a policy's run.</summary>
public sealed record ServerResult(
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("requests")] int Requests,
    [property: JsonPropertyName("prefix_hit_rate")] double PrefixHitRate,
    [property: JsonPropertyName("kv_usage_mean")] double KvUsageMean,
    [property: JsonPropertyName("kv_usage_max")] double KvUsageMax);

/// <summary>Figures for one criticality band.</summary>
public sealed record CriticalityResult(
    [property: JsonPropertyName("requests")] int Requests,
    [property: JsonPropertyName("errors")] int Errors,
    [property: JsonPropertyName("errors_by_status")] IReadOnlyDictionary<string, int> ErrorsByStatus,
    [property: JsonPropertyName("ttft_ms")] Stats.LatencySummary TtftMs,
    [property: JsonPropertyName("tpot_ms")] Stats.LatencySummary TpotMs,
    [property: JsonPropertyName("e2e_ms")] Stats.LatencySummary E2eMs);

/// <summary>Optional time series for charts.</summary>
/// <param name="Ttft">Per completed request: [arrival s, TTFT ms], in arrival order.</param>
/// <param name="KvIntervalMs">Sampling interval of <paramref name="KvUsage"/>.</param>
/// <param name="KvUsage">Per server, KV usage samples (0..1) every <paramref name="KvIntervalMs"/>.</param>
/// <param name="TtftQuantiles">TTFT ms at percentiles 0, 1, …, 100 (for the CDF chart).</param>
public sealed record SeriesData(
    [property: JsonPropertyName("ttft")] IReadOnlyList<double[]> Ttft,
    [property: JsonPropertyName("ttft_quantiles")] IReadOnlyList<double> TtftQuantiles,
    [property: JsonPropertyName("kv_interval_ms")] double KvIntervalMs,
    [property: JsonPropertyName("kv_usage")] IReadOnlyList<double[]> KvUsage);
