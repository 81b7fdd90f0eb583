using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using InferenceMesh.ServiceDefaults.Metrics;

namespace InferenceMesh.Foundation.Tests.Metrics;

public sealed partial class PrometheusMetricsTests : IDisposable
{
    private readonly string _meterName = "InferenceMesh.Test" + Guid.NewGuid().ToString("N");
    private readonly Meter _meter;
    private readonly PrometheusMetrics _metrics;

    public PrometheusMetricsTests()
    {
        _meter = new Meter(_meterName);
        _metrics = new PrometheusMetrics(_meterName);
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public void Counter_WithTags_IsExposedAsTotalWithHelpTypeAndLabels()
    {
        var counter = _meter.CreateCounter<long>("inferencemesh_test_requests", description: "Requests seen.");
        counter.Add(2, new KeyValuePair<string, object?>("endpoint", "10.0.0.1:8000"), new KeyValuePair<string, object?>("code", 200));
        counter.Add(3, new KeyValuePair<string, object?>("code", 200), new KeyValuePair<string, object?>("endpoint", "10.0.0.1:8000"));
        counter.Add(1, new KeyValuePair<string, object?>("endpoint", "10.0.0.2:8000"), new KeyValuePair<string, object?>("code", 429));

        var text = _metrics.Scrape();

        Assert.Contains("# HELP inferencemesh_test_requests_total Requests seen.\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE inferencemesh_test_requests_total counter\n", text, StringComparison.Ordinal);
        // Tag order at the call site does not split a series; labels are sorted by name.
        Assert.Contains("inferencemesh_test_requests_total{code=\"200\",endpoint=\"10.0.0.1:8000\"} 5\n", text, StringComparison.Ordinal);
        Assert.Contains("inferencemesh_test_requests_total{code=\"429\",endpoint=\"10.0.0.2:8000\"} 1\n", text, StringComparison.Ordinal);
        AssertValidExposition(text);
    }

    [Fact]
    public void LabelValues_AreEscaped()
    {
        var gauge = _meter.CreateUpDownCounter<int>("inferencemesh_test_weird");
        gauge.Add(1, new KeyValuePair<string, object?>("path", "a\\b\"c\nd"));

        var text = _metrics.Scrape();

        Assert.Contains("inferencemesh_test_weird{path=\"a\\\\b\\\"c\\nd\"} 1\n", text, StringComparison.Ordinal);
        AssertValidExposition(text);
    }

    [Fact]
    public void UpDownCounter_GoesDown_AndIsAGauge()
    {
        var inflight = _meter.CreateUpDownCounter<long>("inferencemesh_test_inflight");
        inflight.Add(5);
        inflight.Add(-2);

        var text = _metrics.Scrape();

        Assert.Contains("# TYPE inferencemesh_test_inflight gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("inferencemesh_test_inflight 3\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Histogram_WritesCumulativeBucketsSumAndCount()
    {
        var histogram = _meter.CreateHistogram<double>("inferencemesh_test_latency_seconds", unit: "s", description: "Latency.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.125, 1, 10] });
        foreach (var v in new[] { 0.0625, 0.125, 0.5, 4, 64 })
            histogram.Record(v, new KeyValuePair<string, object?>("op", "match"));

        var text = _metrics.Scrape();

        Assert.Contains("# TYPE inferencemesh_test_latency_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("inferencemesh_test_latency_seconds_bucket{op=\"match\",le=\"0.125\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("inferencemesh_test_latency_seconds_bucket{op=\"match\",le=\"1\"} 3\n", text, StringComparison.Ordinal);
        Assert.Contains("inferencemesh_test_latency_seconds_bucket{op=\"match\",le=\"10\"} 4\n", text, StringComparison.Ordinal);
        Assert.Contains("inferencemesh_test_latency_seconds_bucket{op=\"match\",le=\"+Inf\"} 5\n", text, StringComparison.Ordinal);
        Assert.Contains("inferencemesh_test_latency_seconds_sum{op=\"match\"} 68.6875\n", text, StringComparison.Ordinal);
        Assert.Contains("inferencemesh_test_latency_seconds_count{op=\"match\"} 5\n", text, StringComparison.Ordinal);
        AssertValidExposition(text);
    }

    [Fact]
    public void ObservableGauge_IsCollectedAtScrape_AndVanishedSeriesDisappear()
    {
        var values = new List<Measurement<double>> { new(0.25, new KeyValuePair<string, object?>("endpoint", "a")), new(0.5, new KeyValuePair<string, object?>("endpoint", "b")) };
        _meter.CreateObservableGauge("inferencemesh_test_kv_usage", () => values);

        var first = _metrics.Scrape();
        values.RemoveAt(1);
        values[0] = new Measurement<double>(0.75, new KeyValuePair<string, object?>("endpoint", "a"));
        var second = _metrics.Scrape();

        Assert.Contains("inferencemesh_test_kv_usage{endpoint=\"b\"} 0.5\n", first, StringComparison.Ordinal);
        Assert.Contains("inferencemesh_test_kv_usage{endpoint=\"a\"} 0.75\n", second, StringComparison.Ordinal);
        Assert.DoesNotContain("endpoint=\"b\"", second, StringComparison.Ordinal);
    }

    [Fact]
    public void ObservableCounter_IsExposedAsCounterWithTotal()
    {
        long seen = 42;
        _meter.CreateObservableCounter("inferencemesh_test_scrapes", () => seen);

        var text = _metrics.Scrape();

        Assert.Contains("# TYPE inferencemesh_test_scrapes_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("inferencemesh_test_scrapes_total 42\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void MetersOutsideThePrefix_AreNotExposed()
    {
        using var other = new Meter("Other" + Guid.NewGuid().ToString("N"));
        other.CreateCounter<long>("other_requests").Add(1);
        _meter.CreateCounter<long>("inferencemesh_test_mine").Add(1);

        var text = _metrics.Scrape();

        Assert.DoesNotContain("other_requests", text, StringComparison.Ordinal);
        Assert.Contains("inferencemesh_test_mine_total 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidCharactersInNames_AreReplaced()
    {
        _meter.CreateCounter<long>("inferencemesh.test-dots/and-dashes").Add(1, new KeyValuePair<string, object?>("model.name", "m"));

        var text = _metrics.Scrape();

        Assert.Contains("inferencemesh_test_dots_and_dashes_total{model_name=\"m\"} 1\n", text, StringComparison.Ordinal);
        AssertValidExposition(text);
    }

    [Fact]
    public void ConcurrentRecording_LosesNoIncrements()
    {
        var counter = _meter.CreateCounter<double>("inferencemesh_test_concurrent");
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++)
                counter.Add(0.5, new KeyValuePair<string, object?>("k", "v"));
        });

        Assert.Contains("inferencemesh_test_concurrent_total{k=\"v\"} 40000\n", _metrics.Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public void Recording_IntoAnExistingSeries_DoesNotAllocate()
    {
        // A meter name outside "InferenceMesh.*" keeps other tests' OpenTelemetry providers from listening in.
        using var meter = new Meter("InferenceMeshAlloc" + Guid.NewGuid().ToString("N"));
        using var metrics = new PrometheusMetrics(meter.Name);
        var counter = meter.CreateCounter<long>("inferencemesh_alloc_requests");
        var histogram = meter.CreateHistogram<double>("inferencemesh_alloc_latency", unit: "s");
        var endpoint = new KeyValuePair<string, object?>("endpoint", "10.0.0.1:8000");
        var outcome = new KeyValuePair<string, object?>("outcome", "ok");
        counter.Add(1, endpoint, outcome);
        histogram.Record(0.5, endpoint);

        // Three rounds, the least allocating one counts: a listener of a concurrently running test that attaches
        // mid-round creates its own series once on this thread (≈ 1 KB, seen under load), which is not per measurement.
        // Any per-measurement allocation would show in every round (≥ 8 B × 20,000).
        var least = long.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++)
            {
                counter.Add(1, endpoint, outcome);
                histogram.Record(0.5, endpoint);
            }
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(least < 1024, $"{least} bytes for 20,000 measurements in the least allocating of 3 rounds");
        Assert.Contains("inferencemesh_alloc_requests_total{endpoint=\"10.0.0.1:8000\",outcome=\"ok\"} 30001\n", metrics.Scrape(), StringComparison.Ordinal);
    }

    /// <summary>Every line is a comment (HELP/TYPE) or a sample per the text format 0.0.4 grammar.</summary>
    private static void AssertValidExposition(string text)
    {
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith('#'))
                Assert.Matches(CommentLine(), line);
            else
                Assert.Matches(SampleLine(), line);
        }
    }

    [GeneratedRegex(@"^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped))$")]
    private static partial Regex CommentLine();

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*=""([^""\\\n]|\\\\|\\""|\\n)*"",?)*\})? (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$")]
    private static partial Regex SampleLine();
}
