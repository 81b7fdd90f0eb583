using System.Text;
using InferenceMesh.Prometheus;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>Allocation budgets of the scrape hot path (counted bytes, not timings, so they hold on a loaded machine).</summary>
public sealed class AllocationTests
{
    private struct Counting : IPrometheusSampleVisitor
    {
        public int Count;

        public void OnSample(in PrometheusSample sample)
        {
            Count++;
            _ = sample.LabelEquals("le"u8, "+Inf"u8);
        }
    }

    [Fact]
    public void Parse_200SeriesExposition_AllocatesNothing()
    {
        var bytes = Fixtures.LargeVllm(200);
        var visitor = new Counting();
        Assert.True(PrometheusTextParser.TryParse(bytes, ref visitor, out _)); // warm-up (JIT)
        visitor = new Counting();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var ok = PrometheusTextParser.TryParse(bytes, ref visitor, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(ok);
        Assert.True(visitor.Count >= 200);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void ReadVllm_200SeriesExposition_AllocatesOnlyTheAdapterStrings()
    {
        var bytes = Fixtures.LargeVllm(200);
        Assert.True(EngineMetricsReader.TryRead(bytes, ModelServerEngine.Vllm, out _, out _));
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.True(EngineMetricsReader.TryRead(bytes, ModelServerEngine.Vllm, out var values, out _));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("a,b", values.RunningLoras);
        Assert.InRange(allocated, 0, 128); // "a,b" and "c"
    }

    [Fact]
    public void ParseError_OnlyAllocatesTheMessage()
    {
        var bytes = Encoding.UTF8.GetBytes(new string('x', 10) + "{\n");
        var visitor = new Counting();
        Assert.False(PrometheusTextParser.TryParse(bytes, ref visitor, out var error));
        Assert.Equal(1, error.Line);
    }
}
