using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using InferenceMesh.Prometheus;

namespace InferenceMesh.Benchmarks.Prometheus;

/// <summary>Parsing one scrape of a busy vLLM server (~200 series: gauges, counters, info series, histograms). The collector does
/// this for every endpoint 20 times a second, so the budget is "no allocation beyond the two LoRA strings".</summary>
[MemoryDiagnoser]
public class PrometheusParseBenchmarks
{
    private byte[] _exposition = [];

    [Params(200)]
    public int Series { get; set; }

    [GlobalSetup]
    public void Setup() => _exposition = VllmExposition(Series);

    /// <summary>Tokenising and validating every line, visiting every sample (no mapping).</summary>
    [Benchmark(Baseline = true)]
    public int ParseOnly()
    {
        var visitor = new CountingVisitor();
        return PrometheusTextParser.TryParse(_exposition, ref visitor, out _) ? visitor.Count : -1;
    }

    /// <summary>What a scrape costs end to end after the bytes arrived: parse + vLLM mapping (newest LoRA series, cache config).</summary>
    [Benchmark]
    public int ReadVllm()
    {
        return EngineMetricsReader.TryRead(_exposition, ModelServerEngine.Vllm, out var values, out _) ? values.Waiting : -1;
    }

    private struct CountingVisitor : IPrometheusSampleVisitor
    {
        public int Count;

        public void OnSample(in PrometheusSample sample) => Count++;
    }

    /// <summary>A realistic exposition with about <paramref name="series"/> series.</summary>
    internal static byte[] VllmExposition(int series)
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        sb.Append("# HELP vllm:num_requests_running Number of requests in model execution batches.\n# TYPE vllm:num_requests_running gauge\n");
        sb.Append("vllm:num_requests_running{engine=\"0\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"} 12.0\n");
        sb.Append("# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n# TYPE vllm:num_requests_waiting gauge\n");
        sb.Append("vllm:num_requests_waiting{engine=\"0\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"} 3.0\n");
        sb.Append("# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.\n# TYPE vllm:kv_cache_usage_perc gauge\n");
        sb.Append("vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"} 0.6421875\n");
        sb.Append("# HELP vllm:cache_config_info Information of the LLMEngine CacheConfig\n# TYPE vllm:cache_config_info gauge\n");
        sb.Append("vllm:cache_config_info{block_size=\"16\",cache_dtype=\"auto\",enable_prefix_caching=\"True\",engine=\"0\",gpu_memory_utilization=\"0.9\",num_gpu_blocks=\"31250\"} 1.0\n");
        sb.Append("# HELP vllm:lora_requests_info Running stats on lora requests.\n# TYPE vllm:lora_requests_info gauge\n");
        sb.Append("vllm:lora_requests_info{max_lora=\"4\",running_lora_adapters=\"travel-helper-v1,sql-lora\",waiting_lora_adapters=\"\"} 1.7382173412345678e+09\n");
        sb.Append("vllm:lora_requests_info{max_lora=\"4\",running_lora_adapters=\"\",waiting_lora_adapters=\"\"} 1.7382173358407154e+09\n");
        var written = 7;
        string[] les = ["0.001", "0.005", "0.01", "0.02", "0.04", "0.06", "0.08", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "+Inf"];
        for (var family = 0; written < series; family++)
        {
            var name = $"vllm:request_phase_{family}_seconds";
            sb.Append(ci, $"# HELP {name} Histogram of phase {family} in seconds.\n# TYPE {name} histogram\n");
            foreach (var le in les)
                sb.Append(ci, $"{name}_bucket{{engine=\"0\",le=\"{le}\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"}} {family * 17 + le.Length}.0\n");
            sb.Append(ci, $"{name}_sum{{engine=\"0\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"}} 123.456\n");
            sb.Append(ci, $"{name}_count{{engine=\"0\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"}} 4242.0\n");
            written += les.Length + 2;
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
