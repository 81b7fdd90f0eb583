using System.Text.Json;
using System.Xml.Linq;
using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Report;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;
using InferenceMesh.Contracts;

namespace InferenceMesh.Sim.Tests.Bench;

public sealed class ResultsAndReportTests
{
    private static readonly Lazy<BenchResults> Sample = new(() =>
    {
        var w = Generators.Random(200, 600, 40, 0.2, 30, seed: 5, qps: 20, criticalities: [Criticality.Critical, Criticality.Standard]);
        var profile = SimFleetFactory.Profile("l20");
        var spec = new FleetSpec("l20", 2);
        return ReplayRunner.Run(w, ["round-robin", "greedy-perfect-info"], spec, SimFleetFactory.Engines(profile), SimFleetFactory.Describe(spec, profile, 50), new ReplayOptions(1), "generated:test", 1.0);
    });

    [Fact]
    public void Json_HasTheDocumentedFieldNames()
    {
        using var doc = JsonDocument.Parse(ResultsJson.Serialize(Sample.Value));
        var root = doc.RootElement;
        Assert.True(root.TryGetProperty("workload", out var workload));
        Assert.True(root.TryGetProperty("fleet", out var fleet));
        Assert.Equal(30, workload.GetProperty("requests").GetInt32());
        Assert.Equal("l20", fleet.GetProperty("profile").GetString());
        Assert.Equal(2, fleet.GetProperty("servers").GetInt32());
        var results = root.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        var r = results[0];
        Assert.Equal("round-robin", r.GetProperty("policy").GetString());
        foreach (var name in new[] { "requests", "errors", "errors_by_status", "output_tokens_per_s", "prefix_hit_rate", "kv_usage_max_over_mean", "by_criticality", "servers", "series" })
        {
            Assert.True(r.TryGetProperty(name, out _), name);
        }

        foreach (var name in new[] { "ttft_ms", "tpot_ms", "e2e_ms" })
        {
            var o = r.GetProperty(name);
            foreach (var stat in new[] { "mean", "p50", "p90", "p99" })
            {
                Assert.True(o.TryGetProperty(stat, out var v), $"{name}.{stat}");
                Assert.True(v.GetDouble() > 0, $"{name}.{stat}");
            }
        }

        Assert.True(r.GetProperty("by_criticality").TryGetProperty("Critical", out var crit));
        Assert.Equal(15, crit.GetProperty("requests").GetInt32());
        Assert.True(crit.GetProperty("ttft_ms").TryGetProperty("p99", out _));
    }

    [Fact]
    public void Json_RoundTrips()
    {
        var text = ResultsJson.Serialize(Sample.Value);
        var back = ResultsJson.Deserialize(text);
        Assert.Equal(Sample.Value.Results[1].TtftMs, back.Results[1].TtftMs);
        Assert.Equal(text, ResultsJson.Serialize(back));
    }

    [Fact]
    public void Report_RendersMarkdownTableAndValidSvgCharts()
    {
        var (markdown, charts) = MarkdownReport.Render([("a.json", Sample.Value)], "rep");
        Assert.Contains("| policy | requests | errors | TTFT mean |", markdown, StringComparison.Ordinal);
        Assert.Contains("| round-robin | 30 |", markdown, StringComparison.Ordinal);
        Assert.Contains("Per criticality", markdown, StringComparison.Ordinal);
        Assert.Contains("![TTFT CDF](rep-ttft-cdf.svg)", markdown, StringComparison.Ordinal);
        Assert.Equal(4, charts.Count);
        foreach (var (name, svg) in charts)
        {
            Assert.Contains($"({name})", markdown, StringComparison.Ordinal);
            var x = XDocument.Parse(svg);
            Assert.Equal("svg", x.Root!.Name.LocalName);
            Assert.Contains(x.Root.Descendants(), e => e.Name.LocalName == "polyline");
            Assert.DoesNotContain("NaN", svg, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Report_WritesFilesNextToTheMarkdown()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"bench-report-{Guid.NewGuid():N}");
        try
        {
            var json = Path.Combine(dir, "r.json");
            ResultsJson.Write(json, Sample.Value);
            var md = Path.Combine(dir, "out", "report.md");
            Assert.Equal(0, InferenceMesh.Bench.Cli.BenchCli.Run(["report", json, "--out", md]));
            Assert.True(File.Exists(md));
            Assert.True(File.Exists(Path.Combine(dir, "out", "report-ttft-cdf.svg")));
            Assert.True(File.Exists(Path.Combine(dir, "out", "report-kv-greedy-perfect-info.svg")));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
