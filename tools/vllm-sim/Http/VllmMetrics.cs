using System.Globalization;
using System.Text;

namespace InferenceMesh.VllmSim.Http;

/// <summary>Renders a server's state as vLLM V1's Prometheus exposition: same names, HELP/TYPE lines, labels
/// (sorted, <c>engine="0"</c>, <c>model_name</c>), bucket bounds and number format.</summary>
internal static class VllmMetrics
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <param name="s">The server.</param>
    /// <param name="wallUnixSeconds">Now, for the <c>lora_requests_info</c> sample of a server without adapters.</param>
    /// <param name="simMsToUnixSeconds">Maps a simulated time to the wall-clock unix time it was reached.</param>
    public static string Render(SimServer s, double wallUnixSeconds, Func<double, double> simMsToUnixSeconds)
    {
        var sb = new StringBuilder(8192);
        var model = Escape(s.Options.ModelName);
        var labels = $"engine=\"0\",model_name=\"{model}\"";

        Gauge(sb, "vllm:num_requests_running", "Number of requests in model execution batches.", labels, s.NumRunning);
        Gauge(sb, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", labels, s.NumWaiting);
        Gauge(sb, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", labels, s.KvUsage);
        Counter(sb, "vllm:prefix_cache_queries_total", "Prefix cache queries, in terms of number of queried tokens.", labels, s.PrefixCacheQueries);
        Counter(sb, "vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.", labels, s.PrefixCacheHits);
        Counter(sb, "vllm:num_preemptions_total", "Cumulative number of preemption from the engine.", labels, s.Preemptions);
        Counter(sb, "vllm:prompt_tokens_total", "Number of prefill tokens processed.", labels, s.PromptTokens);
        Counter(sb, "vllm:generation_tokens_total", "Number of generation tokens processed.", labels, s.GenerationTokens);

        Head(sb, "vllm:request_success_total", "Count of successfully processed requests.", "counter");
        Sample(sb, "vllm:request_success_total", $"engine=\"0\",finished_reason=\"abort\",model_name=\"{model}\"", s.RequestsAborted);
        Sample(sb, "vllm:request_success_total", $"engine=\"0\",finished_reason=\"length\",model_name=\"{model}\"", s.RequestsFinished);
        Sample(sb, "vllm:request_success_total", $"engine=\"0\",finished_reason=\"stop\",model_name=\"{model}\"", 0);

        Histogram(sb, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", model, s.TimeToFirstToken);
        Histogram(sb, "vllm:time_per_output_token_seconds", "Histogram of time per output token in seconds.", model, s.TimePerOutputToken);
        Histogram(sb, "vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", model, s.TimePerOutputToken);
        Histogram(sb, "vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", model, s.E2eLatency);
        Histogram(sb, "vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", model, s.QueueTime);

        SeedMetrics.Render(sb, s, labels, model);

        Head(sb, "vllm:cache_config_info", "Information of the LLMEngine CacheConfig", "gauge");
        Sample(sb, "vllm:cache_config_info",
            $"block_size=\"{s.Profile.BlockSize}\",cache_dtype=\"auto\",enable_prefix_caching=\"True\",engine=\"0\"," +
            $"gpu_memory_utilization=\"0.9\",num_cpu_blocks=\"0\",num_gpu_blocks=\"{s.NumGpuBlocks}\",prefix_caching_hash_algo=\"sha256\"",
            1.0);

        Head(sb, "vllm:lora_requests_info", "Running stats on lora requests.", "gauge");
        var maxLora = s.LoraModules.Count > 0 || s.Options.LoraModules.Count > 0 ? s.Options.MaxLoras : 0;
        var samples = s.LoraInfoSamples;
        if (samples.Count == 0)
        {
            Sample(sb, "vllm:lora_requests_info", $"max_lora=\"{maxLora}\",running_lora_adapters=\"\",waiting_lora_adapters=\"\"", wallUnixSeconds);
        }
        else
        {
            foreach (var x in samples)
            {
                Sample(sb, "vllm:lora_requests_info",
                    $"max_lora=\"{maxLora}\",running_lora_adapters=\"{Escape(x.RunningAdapters)}\",waiting_lora_adapters=\"{Escape(x.WaitingAdapters)}\"",
                    simMsToUnixSeconds(x.SimMs));
            }
        }
        return sb.ToString();
    }

    private static void Head(StringBuilder sb, string name, string help, string type)
    {
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    private static void Sample(StringBuilder sb, string name, string labels, double value) =>
        sb.Append(name).Append('{').Append(labels).Append("} ").Append(PromFloat.Format(value)).Append('\n');

    internal static void Gauge(StringBuilder sb, string name, string help, string labels, double value)
    {
        Head(sb, name, help, "gauge");
        Sample(sb, name, labels, value);
    }

    private static void Counter(StringBuilder sb, string name, string help, string labels, double value)
    {
        Head(sb, name, help, "counter");
        Sample(sb, name, labels, value);
    }

    internal static void Histogram(StringBuilder sb, string name, string help, string model, SimHistogram h)
    {
        Head(sb, name, help, "histogram");
        var bounds = h.Bounds;
        var counts = h.CumulativeCounts;
        for (var i = 0; i < bounds.Length; i++)
        {
            Sample(sb, name + "_bucket",
                string.Create(CultureInfo.InvariantCulture, $"engine=\"0\",le=\"{PromFloat.Format(bounds[i])}\",model_name=\"{model}\""), counts[i]);
        }
        Sample(sb, name + "_bucket", $"engine=\"0\",le=\"+Inf\",model_name=\"{model}\"", h.Count);
        Sample(sb, name + "_count", $"engine=\"0\",model_name=\"{model}\"", h.Count);
        Sample(sb, name + "_sum", $"engine=\"0\",model_name=\"{model}\"", h.Sum);
    }

    private static string Escape(string v) => v.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
