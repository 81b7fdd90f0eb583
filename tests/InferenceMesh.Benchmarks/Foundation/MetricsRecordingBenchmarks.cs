using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using InferenceMesh.ServiceDefaults.Metrics;

namespace InferenceMesh.Benchmarks.Foundation;

/// <summary>Cost of recording into the /metrics listener on the request path (budget: no allocation per measurement
/// once a series exists), and of one scrape of 100 endpoints × 3 instruments.</summary>
[MemoryDiagnoser]
public class MetricsRecordingBenchmarks
{
    private Meter _meter = null!;
    private PrometheusMetrics _metrics = null!;
    private Counter<long> _counter = null!;
    private Histogram<double> _histogram = null!;
    private UpDownCounter<long> _inflight = null!;
    private string[] _endpoints = null!;
    private int _i;

    [GlobalSetup]
    public void Setup()
    {
        var name = "InferenceMesh.Bench" + Guid.NewGuid().ToString("N");
        _meter = new Meter(name);
        _metrics = new PrometheusMetrics(name);
        _counter = _meter.CreateCounter<long>("inferencemesh_bench_requests");
        _histogram = _meter.CreateHistogram<double>("inferencemesh_bench_latency_seconds", unit: "s");
        _inflight = _meter.CreateUpDownCounter<long>("inferencemesh_bench_inflight");
        _endpoints = [.. Enumerable.Range(0, 100).Select(i => $"10.0.{i / 250}.{i % 250}:8000")];
        foreach (var e in _endpoints)
        {
            _counter.Add(1, new KeyValuePair<string, object?>("endpoint", e), new KeyValuePair<string, object?>("outcome", "ok"));
            _histogram.Record(0.01, new KeyValuePair<string, object?>("endpoint", e));
            _inflight.Add(1, new KeyValuePair<string, object?>("endpoint", e));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _metrics.Dispose();
        _meter.Dispose();
    }

    [Benchmark]
    public void CounterWithTwoTags()
    {
        var e = _endpoints[_i++ % _endpoints.Length];
        _counter.Add(1, new KeyValuePair<string, object?>("endpoint", e), new KeyValuePair<string, object?>("outcome", "ok"));
    }

    [Benchmark]
    public void HistogramWithOneTag()
    {
        var e = _endpoints[_i++ % _endpoints.Length];
        _histogram.Record(0.0123, new KeyValuePair<string, object?>("endpoint", e));
    }

    [Benchmark]
    public int Scrape() => _metrics.Scrape().Length;
}
