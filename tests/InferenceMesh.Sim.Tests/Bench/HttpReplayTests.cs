using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Replay.Http;
using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Sim.Tests.Bench;

public sealed class HttpReplayTests
{
    [Fact]
    public async Task HttpMode_AgainstInProcessSimFleet_CompletesEveryRequest_AndSeesPrefixHits()
    {
        // Two groups sharing a long system prompt: the servers' own counters must show reuse, which only happens if
        // the generated prompt text keeps the workload's prefix structure.
        var w = Generators.SharedPrefix(groups: 2, perGroup: 4, system: 1024, question: 64, output: 8, seed: 3, concurrency: 2);
        var profile = SimFleetFactory.Profile("l20");
        var spec = new FleetSpec("l20", 2);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var results = await HttpReplayRunner.RunAsync(w, ["round-robin"], spec, profile, [], 20, new ReplayOptions(1), "test", 1, null, cts.Token);

        var r = Assert.Single(results.Results);
        Assert.Equal(8, r.Completed);
        Assert.Equal(0, r.Errors);
        Assert.Equal(8, r.TtftMs.Count);
        Assert.True(r.TtftMs.P50 > 0);
        Assert.Equal(8, r.TpotMs.Count);
        Assert.True(r.PrefixHitRate > 0.3, $"prefix hit rate {r.PrefixHitRate}");
        Assert.True(r.RequestPrefixHitRate > 0.3, $"per-request hit rate {r.RequestPrefixHitRate}");
        Assert.Equal(8, r.Servers.Sum(s => s.Requests));
        Assert.StartsWith("http", results.Fleet.Time, StringComparison.Ordinal);
    }

    [Fact]
    public void VllmMetricsText_ReadsTheSeriesAPickerUses()
    {
        const string text = """
            # HELP vllm:num_requests_running Number of requests in model execution batches.
            # TYPE vllm:num_requests_running gauge
            vllm:num_requests_running{engine="0",model_name="m"} 3.0
            vllm:num_requests_waiting{engine="0",model_name="m"} 2.0
            vllm:kv_cache_usage_perc{engine="0",model_name="m"} 0.25
            vllm:prefix_cache_queries_total{engine="0",model_name="m"} 1000.0
            vllm:prefix_cache_hits_total{engine="0",model_name="m"} 400.0
            vllm:cache_config_info{block_size="16",num_gpu_blocks="31000"} 1.0
            vllm:lora_requests_info{max_lora="2",running_lora_adapters="a",waiting_lora_adapters=""} 1.7e+09
            vllm:lora_requests_info{max_lora="2",running_lora_adapters="a,b",waiting_lora_adapters="c"} 1.8e+09
            """;
        var s = VllmMetricsText.Parse("h:1", text, 5);
        Assert.Equal(3, s.Metrics.Running);
        Assert.Equal(2, s.Metrics.Waiting);
        Assert.Equal(0.25, s.Metrics.KvUsage);
        Assert.Equal(1000, s.PrefixQueries);
        Assert.Equal(400, s.PrefixHits);
        Assert.Equal(16, s.Metrics.BlockSize);
        Assert.Equal(31000, s.Metrics.NumBlocks);
        Assert.Equal(2, s.Metrics.MaxLoras);
        Assert.Equal(["a", "b"], s.Metrics.RunningLoras);
        Assert.Equal(["c"], s.Metrics.WaitingLoras);
    }

    [Fact]
    public void PromptText_Is4CharsPerToken_AndKeepsSharedPrefixes()
    {
        PromptSegment[] a = [new PromptSegment(1, 100), new PromptSegment(2, 10)];
        PromptSegment[] b = [new PromptSegment(1, 100), new PromptSegment(3, 10)];
        var ta = PromptText.Build(a);
        var tb = PromptText.Build(b);
        Assert.Equal(440, ta.Length);
        Assert.Equal(ta[..400], tb[..400]);
        Assert.NotEqual(ta[400..], tb[400..]);
    }
}
