using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace InferenceMesh.Benchmarks.Foundation;

/// <summary>Cost of recording into the OpenTelemetry SDK behind /metrics on the request path (budget: no allocation per
/// measurement once a series exists), and of one collection of 100 endpoints × 3 instruments.</summary>
[MemoryDiagnoser]
public class MetricsRecordingBenchmarks
{
    private Meter _meter = null!;
    private MeterProvider _metrics = null!;
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
        _metrics = Sdk.CreateMeterProviderBuilder().AddMeter(name).AddPrometheusExporter().Build();
        _counter = _meter.CreateCounter<long>("inferencemesh.bench.requests");
        _histogram = _meter.CreateHistogram<double>("inferencemesh.bench.latency", unit: "s");
        _inflight = _meter.CreateUpDownCounter<long>("inferencemesh.bench.inflight");
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
    public bool Collect() => _metrics.ForceFlush();
}
