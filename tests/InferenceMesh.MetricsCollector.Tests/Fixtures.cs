using System.Globalization;
using System.Text;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>Expositions shaped like real servers' /metrics output (written for these tests from the documented names).</summary>
internal static class Fixtures
{
    public const string VllmV1 = """
        # HELP python_gc_objects_collected_total Objects collected during gc
        # TYPE python_gc_objects_collected_total counter
        python_gc_objects_collected_total{generation="0"} 12345.0
        python_gc_objects_collected_total{generation="1"} 678.0
        # HELP vllm:num_requests_running Number of requests in model execution batches.
        # TYPE vllm:num_requests_running gauge
        vllm:num_requests_running{engine="0",model_name="qwen"} 3.0
        # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
        # TYPE vllm:num_requests_waiting gauge
        vllm:num_requests_waiting{engine="0",model_name="qwen"} 7.0
        # HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
        # TYPE vllm:kv_cache_usage_perc gauge
        vllm:kv_cache_usage_perc{engine="0",model_name="qwen"} 0.4375
        # HELP vllm:prefix_cache_queries_total Prefix cache queries, in terms of number of queried tokens.
        # TYPE vllm:prefix_cache_queries_total counter
        vllm:prefix_cache_queries_total{engine="0",model_name="qwen"} 81920.0
        # HELP vllm:prefix_cache_hits_total Prefix cache hits, in terms of number of cached tokens.
        # TYPE vllm:prefix_cache_hits_total counter
        vllm:prefix_cache_hits_total{engine="0",model_name="qwen"} 40960.0
        # HELP vllm:cache_config_info Information of the LLMEngine CacheConfig
        # TYPE vllm:cache_config_info gauge
        vllm:cache_config_info{block_size="16",cache_dtype="auto",enable_prefix_caching="True",engine="0",gpu_memory_utilization="0.9",num_cpu_blocks="None",num_gpu_blocks="6214",num_gpu_blocks_override="None"} 1.0
        # HELP vllm:lora_requests_info Running stats on lora requests.
        # TYPE vllm:lora_requests_info gauge
        vllm:lora_requests_info{max_lora="4",running_lora_adapters="",waiting_lora_adapters=""} 1.7382173358407154e+09
        vllm:lora_requests_info{max_lora="4",running_lora_adapters="travel-helper-v1,sql-lora",waiting_lora_adapters="chat-lora"} 1.7382173412345678e+09
        vllm:lora_requests_info{max_lora="4",running_lora_adapters="old-adapter",waiting_lora_adapters=""} 1.7382173300000000e+09
        # HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
        # TYPE vllm:time_to_first_token_seconds histogram
        vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="qwen"} 0.0
        vllm:time_to_first_token_seconds_bucket{engine="0",le="0.005",model_name="qwen"} 2.0
        vllm:time_to_first_token_seconds_bucket{engine="0",le="0.5",model_name="qwen"} 40.0
        vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="qwen"} 42.0
        vllm:time_to_first_token_seconds_count{engine="0",model_name="qwen"} 42.0
        vllm:time_to_first_token_seconds_sum{engine="0",model_name="qwen"} 6.25
        """;

    /// <summary>vLLM before V1 named KV usage gpu_cache_usage_perc.</summary>
    public const string VllmOld = """
        # HELP vllm:num_requests_running Number of requests currently running on GPU.
        # TYPE vllm:num_requests_running gauge
        vllm:num_requests_running{model_name="meta-llama/Llama-2-7b-hf"} 1.0
        # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
        # TYPE vllm:num_requests_waiting gauge
        vllm:num_requests_waiting{model_name="meta-llama/Llama-2-7b-hf"} 0.0
        # HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.
        # TYPE vllm:gpu_cache_usage_perc gauge
        vllm:gpu_cache_usage_perc{model_name="meta-llama/Llama-2-7b-hf"} 0.021
        """;

    public const string SGLang = """
        # HELP sglang:prompt_tokens_total Number of prefill tokens processed.
        # TYPE sglang:prompt_tokens_total counter
        sglang:prompt_tokens_total{model_name="meta-llama/Llama-3.1-8B-Instruct"} 8.128902e+06
        # HELP sglang:num_running_reqs The number of running requests.
        # TYPE sglang:num_running_reqs gauge
        sglang:num_running_reqs{engine_type="unified",model_name="meta-llama/Llama-3.1-8B-Instruct",pp_rank="0",tp_rank="0"} 12.0
        # HELP sglang:num_queue_reqs The number of requests in the waiting queue.
        # TYPE sglang:num_queue_reqs gauge
        sglang:num_queue_reqs{engine_type="unified",model_name="meta-llama/Llama-3.1-8B-Instruct",pp_rank="0",tp_rank="0"} 4.0
        # HELP sglang:token_usage The token usage.
        # TYPE sglang:token_usage gauge
        sglang:token_usage{engine_type="unified",model_name="meta-llama/Llama-3.1-8B-Instruct",pp_rank="0",tp_rank="0"} 0.28
        # HELP sglang:cache_hit_rate The prefix cache hit rate.
        # TYPE sglang:cache_hit_rate gauge
        sglang:cache_hit_rate{model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.007507552643049313
        # HELP sglang:cache_config_info Information of the cache config.
        # TYPE sglang:cache_config_info gauge
        sglang:cache_config_info{num_pages="131072",page_size="1"} 1.0
        # HELP sglang:time_to_first_token_seconds Histogram of time to first token in seconds.
        # TYPE sglang:time_to_first_token_seconds histogram
        sglang:time_to_first_token_seconds_sum{model_name="meta-llama/Llama-3.1-8B-Instruct"} 2.3518979474117756e+06
        sglang:time_to_first_token_seconds_bucket{le="0.001",model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.0
        sglang:time_to_first_token_seconds_bucket{le="+Inf",model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.0
        sglang:time_to_first_token_seconds_count{model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.0
        """;

    /// <summary>Triton's TensorRT-LLM backend (integers, no decimal point), including the newer fraction and waiting series.</summary>
    public const string TrtLlm = """
        # HELP nv_trt_llm_request_metrics TRT LLM request metrics
        # TYPE nv_trt_llm_request_metrics gauge
        nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="context",version="1"} 1
        nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="scheduled",version="1"} 6
        nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="max",version="1"} 512
        nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="active",version="1"} 6
        nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="waiting",version="1"} 9
        # HELP nv_trt_llm_kv_cache_block_metrics TRT LLM KV cache block metrics
        # TYPE nv_trt_llm_kv_cache_block_metrics gauge
        nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="tokens_per",model="tensorrt_llm",version="1"} 64
        nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="used",model="tensorrt_llm",version="1"} 1560
        nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="free",model="tensorrt_llm",version="1"} 4680
        nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="max",model="tensorrt_llm",version="1"} 6240
        nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="fraction",model="tensorrt_llm",version="1"} 0.25
        # HELP nv_inference_pending_request_count Instantaneous number of pending requests awaiting execution per-model.
        # TYPE nv_inference_pending_request_count gauge
        nv_inference_pending_request_count{model="tensorrt_llm",version="1"} 0
        """;

    /// <summary>A vLLM exposition with the given numbers (what the fake model server serves).</summary>
    public static string Vllm(int waiting, int running, double kv, string runningLoras = "", string waitingLoras = "", int maxLora = 0) =>
        string.Create(CultureInfo.InvariantCulture, $$"""
        # TYPE vllm:num_requests_running gauge
        vllm:num_requests_running{engine="0",model_name="qwen"} {{running}}.0
        # TYPE vllm:num_requests_waiting gauge
        vllm:num_requests_waiting{engine="0",model_name="qwen"} {{waiting}}.0
        # TYPE vllm:kv_cache_usage_perc gauge
        vllm:kv_cache_usage_perc{engine="0",model_name="qwen"} {{kv:R}}
        # TYPE vllm:cache_config_info gauge
        vllm:cache_config_info{block_size="16",num_gpu_blocks="4096"} 1.0
        # TYPE vllm:lora_requests_info gauge
        vllm:lora_requests_info{max_lora="{{maxLora}}",running_lora_adapters="{{runningLoras}}",waiting_lora_adapters="{{waitingLoras}}"} 1.7382173358407154e+09

        """);

    /// <summary>A vLLM exposition of about <paramref name="series"/> series (histograms included), like a busy server's.</summary>
    public static byte[] LargeVllm(int series)
    {
        var sb = new StringBuilder();
        sb.Append(Vllm(3, 5, 0.5, "a,b", "c", 4));
        var written = 0;
        for (var family = 0; written < series; family++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"# HELP vllm:latency_{family}_seconds Histogram number {family}.\n");
            sb.Append(CultureInfo.InvariantCulture, $"# TYPE vllm:latency_{family}_seconds histogram\n");
            foreach (var le in new[] { "0.01", "0.1", "1.0", "+Inf" })
                sb.Append(CultureInfo.InvariantCulture, $"vllm:latency_{family}_seconds_bucket{{engine=\"0\",le=\"{le}\",model_name=\"qwen\"}} {family * 3}.0\n");
            sb.Append(CultureInfo.InvariantCulture, $"vllm:latency_{family}_seconds_sum{{engine=\"0\",model_name=\"qwen\"}} 1.5\n");
            sb.Append(CultureInfo.InvariantCulture, $"vllm:latency_{family}_seconds_count{{engine=\"0\",model_name=\"qwen\"}} 12.0\n");
            written += 6;
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
