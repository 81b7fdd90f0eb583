using System.Diagnostics;
using System.Diagnostics.Metrics;
using InferenceMesh.Foundation.Tests.Support;
using InferenceMesh.ServiceDefaults;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace InferenceMesh.Foundation.Tests.Metrics;

/// <summary>The Prometheus translation the service defaults choose (docs/telemetry.md), read from a real <c>/metrics</c>:
/// OpenTelemetry-style instrument names become unit-suffixed, <c>_total</c>-suffixed Prometheus names without scope labels.</summary>
public sealed class PrometheusExpositionTests : IAsyncLifetime, IDisposable
{
    // Every host in this process listens to all InferenceMesh.* meters: a unique area keeps this class's series its own.
    private readonly string _area = "t" + Guid.NewGuid().ToString("N")[..12];
    private readonly Meter _meter;
    private TestHost _host = null!;

    public PrometheusExpositionTests() => _meter = new Meter("InferenceMesh.Exposition" + _area);

    public async Task InitializeAsync()
    {
        var builder = TestHost.CreateBuilder();
        builder.AddServiceDefaults("prefix-index");
        var app = builder.Build();
        app.MapDefaultEndpoints();
        _host = await TestHost.StartAsync(app);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose() => _meter.Dispose();

    [Fact]
    public async Task Counter_GetsTotalSuffix_AnnotationUnitAddsNothing_AndNoScopeLabels()
    {
        var counter = _meter.CreateCounter<long>($"inferencemesh.{_area}.requests", "{request}", "Requests seen.");
        counter.Add(2, new KeyValuePair<string, object?>("code", "200"));
        counter.Add(3, new KeyValuePair<string, object?>("code", "200"));

        var text = await ScrapeAsync();

        AssertHas(text, $"# TYPE inferencemesh_{_area}_requests_total counter\n");
        AssertHas(text, $"inferencemesh_{_area}_requests_total{{code=\"200\"}} 5");
        Assert.DoesNotContain("otel_scope_name", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondsHistogram_GetsSecondsSuffix_AndTheAdvisedBuckets()
    {
        var histogram = _meter.CreateHistogram<double>($"inferencemesh.{_area}.match.duration", "s", "Latency.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.125, 1, 10] });
        foreach (var v in new[] { 0.0625, 0.125, 0.5, 4, 64 })
            histogram.Record(v, new KeyValuePair<string, object?>("op", "match"));

        var text = await ScrapeAsync();

        var name = $"inferencemesh_{_area}_match_duration_seconds";
        AssertHas(text, $"# TYPE {name} histogram\n");
        AssertHas(text, $"{name}_bucket{{op=\"match\",le=\"0.125\"}} 2");
        AssertHas(text, $"{name}_bucket{{op=\"match\",le=\"1\"}} 3");
        AssertHas(text, $"{name}_bucket{{op=\"match\",le=\"10\"}} 4");
        AssertHas(text, $"{name}_bucket{{op=\"match\",le=\"+Inf\"}} 5");
        AssertHas(text, $"{name}_sum{{op=\"match\"}} 68.6875");
        AssertHas(text, $"{name}_count{{op=\"match\"}} 5");
    }

    [Fact]
    public async Task UpDownCounterAndRatioGauge_AreGauges_WithoutRepeatedSuffixes()
    {
        var streams = _meter.CreateUpDownCounter<long>($"inferencemesh.{_area}.active_streams", "{stream}");
        streams.Add(5);
        streams.Add(-2);
        _meter.CreateObservableGauge($"inferencemesh.{_area}.hit_ratio", () => 0.5, "1");

        var text = await ScrapeAsync();

        AssertHas(text, $"# TYPE inferencemesh_{_area}_active_streams gauge\n");
        AssertHas(text, $"inferencemesh_{_area}_active_streams{{}} 3");
        AssertHas(text, $"inferencemesh_{_area}_hit_ratio{{}} 0.5");
    }

    [Fact]
    public async Task ByteCounter_GetsBytesThenTotal()
    {
        _meter.CreateCounter<long>($"inferencemesh.{_area}.response.body", "By").Add(4096);

        AssertHas(await ScrapeAsync(), $"inferencemesh_{_area}_response_body_bytes_total{{}} 4096");
    }

    [Fact]
    public void Recording_WithUpToThreeTags_IntoAnExistingSeries_DoesNotAllocate()
    {
        // A meter outside "InferenceMesh.*" and its own provider: other tests' hosts do not listen in.
        using var meter = new Meter("AllocTest" + _area);
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(meter.Name).AddPrometheusExporter().Build();
        var counter = meter.CreateCounter<long>("alloc.requests", "{request}");
        var histogram = meter.CreateHistogram<double>("alloc.duration", "s");
        var endpoint = new KeyValuePair<string, object?>("endpoint", "10.0.0.1:8000");
        var outcome = new KeyValuePair<string, object?>("outcome", "ok");
        var tags = new TagList { { "model", "m" }, { "criticality", "Standard" }, { "outcome", "scheduled" } };
        counter.Add(1, endpoint, outcome);
        counter.Add(1, tags);
        histogram.Record(0.5, endpoint);

        // The least allocating of three rounds counts: a one-off allocation (a thread-local buffer) is not per measurement,
        // which would show in every round (≥ 8 B × 30,000).
        var least = long.MaxValue;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10_000; i++)
            {
                counter.Add(1, endpoint, outcome);
                counter.Add(1, tags);
                histogram.Record(0.5, endpoint);
            }
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(least < 1024, $"{least} bytes for 30,000 measurements in the least allocating of 3 rounds");
    }

    private static void AssertHas(string text, string expected) =>
        Assert.True(text.Contains(expected, StringComparison.Ordinal), $"'{expected}' is not in the scrape:\n{text}");

    private async Task<string> ScrapeAsync()
    {
        using var response = await _host.Client.GetAsync(new Uri(ServiceDefaultsExtensions.MetricsPath, UriKind.Relative));
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }
}
