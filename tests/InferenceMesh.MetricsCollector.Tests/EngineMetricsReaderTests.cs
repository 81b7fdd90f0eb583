using System.Text;
using InferenceMesh.Contracts;
using InferenceMesh.Prometheus;

namespace InferenceMesh.MetricsCollector.Tests;

public sealed class EngineMetricsReaderTests
{
    private static EngineMetricsValues Read(string text, ModelServerEngine engine)
    {
        Assert.True(EngineMetricsReader.TryRead(Encoding.UTF8.GetBytes(text), engine, out var values, out var error), error.ToString());
        return values;
    }

    [Fact]
    public void Vllm_V1Exposition_MapsQueueKvCacheConfigAndNewestLora()
    {
        var v = Read(Fixtures.VllmV1, ModelServerEngine.Vllm);
        Assert.Equal(7, v.Waiting);
        Assert.Equal(3, v.Running);
        Assert.Equal(0.4375, v.KvUsage);
        Assert.Equal(16, v.BlockSize);
        Assert.Equal(6214, v.NumBlocks);
        // The series with the newest timestamp value wins, wherever it is in the exposition.
        Assert.Equal("travel-helper-v1,sql-lora", v.RunningLoras);
        Assert.Equal("chat-lora", v.WaitingLoras);
        Assert.Equal(4, v.MaxLoras);

        var m = EngineMetricsReader.ToEndpointMetrics("10.0.0.1:8000", v, 1234);
        Assert.Equal(["travel-helper-v1", "sql-lora"], m.RunningLoras);
        Assert.Equal(["chat-lora"], m.WaitingLoras);
        Assert.Equal(EndpointHealth.Healthy, m.Health);
        Assert.Equal(1234, m.ScrapedAtUnixMs);
    }

    [Fact]
    public void Vllm_OlderGpuCacheUsageName_IsUsedWhenV1NameIsAbsent()
    {
        var v = Read(Fixtures.VllmOld, ModelServerEngine.Vllm);
        Assert.Equal(0.021, v.KvUsage);
        Assert.Equal(1, v.Running);
        Assert.Equal(0, v.NumBlocks);
        Assert.Equal(string.Empty, v.RunningLoras);
    }

    [Fact]
    public void Vllm_BothKvNames_PrefersV1()
    {
        var v = Read(Fixtures.VllmOld + "\nvllm:kv_cache_usage_perc{engine=\"0\"} 0.9\n", ModelServerEngine.Vllm);
        Assert.Equal(0.9, v.KvUsage);
    }

    [Fact]
    public void Vllm_DataParallelEngines_SumQueuesAndTakeHighestKv()
    {
        var text = """
            vllm:num_requests_waiting{engine="0"} 2
            vllm:num_requests_waiting{engine="1"} 5
            vllm:num_requests_running{engine="0"} 1
            vllm:num_requests_running{engine="1"} 1
            vllm:kv_cache_usage_perc{engine="0"} 0.2
            vllm:kv_cache_usage_perc{engine="1"} 0.7
            """;
        var v = Read(text, ModelServerEngine.Vllm);
        Assert.Equal(7, v.Waiting);
        Assert.Equal(2, v.Running);
        Assert.Equal(0.7, v.KvUsage);
    }

    [Fact]
    public void SGLang_Exposition_MapsQueueRunningTokenUsageAndPages()
    {
        var v = Read(Fixtures.SGLang, ModelServerEngine.SGLang);
        Assert.Equal(4, v.Waiting);
        Assert.Equal(12, v.Running);
        Assert.Equal(0.28, v.KvUsage);
        Assert.Equal(1, v.BlockSize);
        Assert.Equal(131072, v.NumBlocks);
    }

    [Fact]
    public void TrtLlm_Exposition_MapsRequestTypesAndBlockMetrics()
    {
        var v = Read(Fixtures.TrtLlm, ModelServerEngine.TrtLlm);
        Assert.Equal(9, v.Waiting);
        Assert.Equal(6, v.Running);
        Assert.Equal(0.25, v.KvUsage);
        Assert.Equal(64, v.BlockSize);
        Assert.Equal(6240, v.NumBlocks);
    }

    [Fact]
    public void TrtLlm_WithoutFraction_ComputesUsedOverMax()
    {
        var text = Fixtures.TrtLlm.Replace("nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"fraction\",model=\"tensorrt_llm\",version=\"1\"} 0.25", "",
            StringComparison.Ordinal);
        var v = Read(text, ModelServerEngine.TrtLlm);
        Assert.Equal(1560.0 / 6240.0, v.KvUsage, 6);
    }

    [Theory]
    [InlineData(ModelServerEngine.Vllm, "vllm:num_requests_waiting")]
    [InlineData(ModelServerEngine.SGLang, "sglang:num_queue_reqs")]
    [InlineData(ModelServerEngine.TrtLlm, "request_type=\"waiting\"")]
    public void TryRead_WrongEngineExposition_FailsNamingTheMissingMetric(ModelServerEngine engine, string missing)
    {
        var other = engine == ModelServerEngine.Vllm ? Fixtures.SGLang : Fixtures.VllmV1;
        Assert.False(EngineMetricsReader.TryRead(Encoding.UTF8.GetBytes(other), engine, out _, out var error));
        Assert.Contains(missing, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_MalformedExposition_FailsWithLine()
    {
        Assert.False(EngineMetricsReader.TryRead("vllm:num_requests_waiting 1\nvllm:kv_cache_usage_perc{ 0.5\n"u8, ModelServerEngine.Vllm,
            out _, out var error));
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void TryRead_KvAboveOneOrNegativeCounts_AreClamped()
    {
        var v = Read("vllm:num_requests_waiting -3\nvllm:num_requests_running +Inf\nvllm:kv_cache_usage_perc 1.5\n", ModelServerEngine.Vllm);
        Assert.Equal(0, v.Waiting);
        Assert.Equal(0, v.Running); // Infinity is not a usable count.
        Assert.Equal(1.0, v.KvUsage);
    }

    [Theory]
    [InlineData(null, ModelServerEngine.Vllm)]
    [InlineData("", ModelServerEngine.Vllm)]
    [InlineData("vllm", ModelServerEngine.Vllm)]
    [InlineData("SGLang", ModelServerEngine.SGLang)]
    [InlineData("triton-tensorrt-llm", ModelServerEngine.TrtLlm)]
    [InlineData("trtllm", ModelServerEngine.TrtLlm)]
    public void EngineLabel_KnownValues_Parse(string? label, ModelServerEngine expected)
    {
        Assert.True(ModelServerEngines.TryParse(label, out var engine));
        Assert.Equal(expected, engine);
    }

    [Fact]
    public void EngineLabel_UnknownValue_IsRejected() => Assert.False(ModelServerEngines.TryParse("llama.cpp", out _));
}
