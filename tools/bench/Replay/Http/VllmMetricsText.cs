using System.Globalization;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Replay.Http;

/// <summary>Reads the few vLLM V1 series a picker uses from Prometheus text (a minimal reader for the bench only;
/// the services use libs/Prometheus).</summary>
internal static class VllmMetricsText
{
    public readonly record struct Snapshot(EndpointMetrics Metrics, long PrefixQueries, long PrefixHits, long Preemptions);

    public static Snapshot Parse(string address, string text, long scrapedAtMs)
    {
        ArgumentNullException.ThrowIfNull(text);
        double running = 0, waiting = 0, kv = 0, queries = 0, hits = 0, preemptions = 0;
        int blockSize = 0, numBlocks = 0, maxLora = 0;
        var newestLora = double.MinValue;
        IReadOnlyList<string> runningLoras = [], waitingLoras = [];
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var close = line.LastIndexOf('}');
            var name = brace >= 0 ? line[..brace] : line[..line.IndexOf(' ', StringComparison.Ordinal)];
            var labels = brace >= 0 && close > brace ? line[(brace + 1)..close] : string.Empty;
            var valueText = (close >= 0 ? line[(close + 1)..] : line[name.Length..]).Trim().Split(' ')[0];
            if (!double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                continue;
            }

            switch (name)
            {
                case "vllm:num_requests_running": running += value; break;
                case "vllm:num_requests_waiting": waiting += value; break;
                case "vllm:kv_cache_usage_perc" or "vllm:gpu_cache_usage_perc": kv = Math.Max(kv, value); break;
                case "vllm:prefix_cache_queries_total": queries += value; break;
                case "vllm:prefix_cache_hits_total": hits += value; break;
                case "vllm:num_preemptions_total": preemptions += value; break;
                case "vllm:cache_config_info":
                    _ = int.TryParse(Label(labels, "block_size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out blockSize);
                    _ = int.TryParse(Label(labels, "num_gpu_blocks"), NumberStyles.Integer, CultureInfo.InvariantCulture, out numBlocks);
                    break;
                case "vllm:lora_requests_info" when value > newestLora:
                    // The value is a timestamp: the series with the newest one is current.
                    newestLora = value;
                    _ = int.TryParse(Label(labels, "max_lora"), NumberStyles.Integer, CultureInfo.InvariantCulture, out maxLora);
                    runningLoras = SplitList(Label(labels, "running_lora_adapters"));
                    waitingLoras = SplitList(Label(labels, "waiting_lora_adapters"));
                    break;
            }
        }

        var metrics = new EndpointMetrics(
            address, (int)waiting, (int)running, kv, runningLoras, waitingLoras, maxLora, blockSize, numBlocks, scrapedAtMs, EndpointHealth.Healthy);
        return new Snapshot(metrics, (long)queries, (long)hits, (long)preemptions);
    }

    private static string Label(string labels, string key)
    {
        var at = labels.IndexOf(key + "=\"", StringComparison.Ordinal);
        if (at < 0)
        {
            return string.Empty;
        }

        var start = at + key.Length + 2;
        var end = labels.IndexOf('"', start);
        return end < 0 ? string.Empty : labels[start..end];
    }

    private static string[] SplitList(string s) =>
        s.Length == 0 ? [] : s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
