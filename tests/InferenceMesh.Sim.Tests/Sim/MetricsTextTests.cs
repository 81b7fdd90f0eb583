using InferenceMesh.VllmSim;
using InferenceMesh.VllmSim.Http;
using static InferenceMesh.Sim.Tests.Sim.SimTestKit;

namespace InferenceMesh.Sim.Tests.Sim;

public sealed class MetricsTextTests
{
    [Theory]
    [InlineData(0.0, "0.0")]
    [InlineData(3.0, "3.0")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.25, "0.25")]
    [InlineData(2560.0, "2560.0")]
    [InlineData(41367205.0, "4.1367205e+07")]
    [InlineData(1738217335.8407154, "1.7382173358407154e+09")]
    [InlineData(1049.8486831188202, "1049.8486831188202")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    public void PromFloat_FormatsLikePythonPrometheusClient(double value, string expected) =>
        Assert.Equal(expected, PromFloat.Format(value));

    private static SimServer Loaded()
    {
        var server = Server(SimProfile.L20 with { NumGpuBlocks = 300 }, maxLoras: 1, loras: ["travel-helper", "sql\"lora"]);
        var prompt = Text("m", 1000);
        server.Submit(Request("a", prompt, 30));
        server.Submit(Request("b", prompt, 30, "travel-helper"));
        server.Submit(Request("c", Text("c", 500), 30, "sql\"lora"));
        server.AdvanceTo(300);
        return server;
    }

    [Fact]
    public void Render_IsValidPrometheusText_WithVllmNamesAndLabels()
    {
        var server = Loaded();
        var text = VllmMetrics.Render(server, 1.7e9, ms => 1.7e9 + (ms / 1000));
        var samples = PrometheusTextChecker.Check(text);

        Assert.Contains("# TYPE vllm:num_requests_running gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE vllm:prefix_cache_hits_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE vllm:time_to_first_token_seconds histogram\n", text, StringComparison.Ordinal);
        var running = samples.Single(s => s.Name == "vllm:num_requests_running");
        Assert.Equal("0", running.Labels["engine"]);
        Assert.Equal(server.Options.ModelName, running.Labels["model_name"]);
        Assert.Equal(server.NumRunning, running.Value);
        Assert.Equal(server.NumWaiting, samples.Single(s => s.Name == "vllm:num_requests_waiting").Value);
        Assert.Equal(server.KvUsage, samples.Single(s => s.Name == "vllm:kv_cache_usage_perc").Value, 12);
        var config = samples.Single(s => s.Name == "vllm:cache_config_info");
        Assert.Equal("16", config.Labels["block_size"]);
        Assert.Equal("300", config.Labels["num_gpu_blocks"]);
        Assert.Equal(1.0, config.Value);

        var lora = samples.Where(s => s.Name == "vllm:lora_requests_info").MaxBy(s => s.Value)!;
        Assert.Equal("1", lora.Labels["max_lora"]);
        Assert.Equal("travel-helper", lora.Labels["running_lora_adapters"]);
        Assert.Equal("sql\"lora", lora.Labels["waiting_lora_adapters"]);
        Assert.True(lora.Value >= 1.7e9);

        var ttftBuckets = samples.Where(s => s.Name == "vllm:time_to_first_token_seconds_bucket").Select(s => s.Labels["le"]).ToList();
        Assert.Equal(23, ttftBuckets.Count);
        Assert.Equal("0.001", ttftBuckets[0]);
        Assert.Equal("2560.0", ttftBuckets[^2]);
    }

    [Fact]
    public void Render_LabelOrder_IsSortedLikeVllm()
    {
        var text = VllmMetrics.Render(Loaded(), 1.7e9, ms => 1.7e9);
        Assert.Contains("vllm:time_to_first_token_seconds_bucket{engine=\"0\",le=\"0.001\",model_name=\"Qwen/Qwen2.5-7B-Instruct\"}", text, StringComparison.Ordinal);
        Assert.Contains("vllm:request_success_total{engine=\"0\",finished_reason=\"length\",model_name=", text, StringComparison.Ordinal);
    }
}
