using System.Text;

namespace InferenceMesh.VllmSim;

/// <summary>vLLM series the seeds' dashboards and the reference picker's older releases read, which vllm-sim did not
/// emit before issue 17 (docs/vllm-sim.md "Metrics"): the pre-V1 name of KV usage and the per-request token histograms
/// behind the seeds' token-throughput and request-size panels.</summary>
internal static class SeedMetrics
{
    public static void Render(StringBuilder sb, SimServer s, string labels, string model)
    {
        // Same value as kv_cache_usage_perc; vLLM kept the old name through 0.10 and the seeds' dashboards plot it.
        Http.VllmMetrics.Gauge(sb, "vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage.", labels, s.KvUsage);
        Http.VllmMetrics.Histogram(sb, "vllm:request_prompt_tokens", "Number of prefill tokens processed.", model, s.RequestPromptTokens);
        Http.VllmMetrics.Histogram(sb, "vllm:request_generation_tokens", "Number of generation tokens processed.", model, s.RequestGenerationTokens);
    }

    /// <summary>vLLM's 1-2-5 token buckets up to <paramref name="max"/> (1, 2, 5, 10, 20, 50, …).</summary>
    public static double[] TokenBuckets(int max)
    {
        var list = new List<double>();
        for (var exponent = 1.0; ; exponent *= 10)
        {
            foreach (var m in (ReadOnlySpan<int>)[1, 2, 5])
            {
                var v = m * exponent;
                if (v > max)
                    return [.. list];
                list.Add(v);
            }
        }
    }
}
