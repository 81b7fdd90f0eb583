using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using InferenceMesh.EndToEnd.Tests.Support;

namespace InferenceMesh.EndToEnd.Tests;

/// <summary>The truth about metric names: every <c>inferencemesh_*</c> name the Grafana dashboard queries or the docs
/// mention is in a live scrape of the services after traffic through them (gateway → ext-proc → scheduler →
/// prefix-index, the collector scraping the simulated fleet).</summary>
[Trait("Category", "EndToEnd")]
[Collection(DistributedGroup.Name)]
public sealed partial class MetricNamesTests(DistributedEnsemble ensemble)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(120) };
    private static readonly string[] Apps = ["ext-proc", "scheduler", "prefix-index", "metrics-collector"];

    [Fact]
    public async Task EveryMeshMetricTheDashboardOrDocsName_IsInTheServicesScrape()
    {
        for (var i = 0; i < 4; i++)
        {
            var prompt = $"metric names {i.ToString(CultureInfo.InvariantCulture)}: " + new string('m', 300);
            var r = await OpenAi.SendAsync(Http, ensemble.Gateways[i % 2], DistributedEnsemble.Model, [("user", prompt)], stream: i % 2 == 0, maxTokens: 8);
            Assert.True(r.Status == 200, $"request {i}: HTTP {r.Status} {r.Body}\n{ensemble.Logs()}");
        }
        // And one client error, so the error counters have a series: a body without a model is a 400 from ext-proc.
        var bad = await OpenAi.SendAsync(Http, ensemble.Gateways[0], "", [("user", "no model")], stream: false, maxTokens: 8);
        Assert.True(bad.Status == 400, $"the request without a model: HTTP {bad.Status} {bad.Body}");
        var wanted = WantedNames();
        // Parsing found the names: the dashboard alone queries more than ten of ours.
        Assert.True(wanted.Count(w => w.Value.Contains("dashboard", StringComparer.Ordinal)) >= 10, "too few names parsed from the dashboard");

        List<string> missing = [];
        try
        {
            // Recording can trail the answers by a moment (the response phase): wait until nothing is missing.
            await Poll.UntilSucceedsAsync(async () =>
            {
                var emitted = await ScrapeAllAsync();
                missing = [.. wanted.Where(w => !emitted.Contains(w.Key)).Select(w => $"{w.Key} (in {string.Join(", ", w.Value)})")];
                return missing.Count == 0;
            }, "every named metric in a scrape", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
        }

        Assert.True(missing.Count == 0, "named but not emitted by any service:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void ScrapeParsing_CountsHistogramSeriesAsTheirBase_AndEmptyLabelSets()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        AddNames("""
            # TYPE a_seconds histogram
            a_seconds_bucket{le="0.1"} 1
            a_seconds_sum 0.05
            # TYPE b_total counter
            b_total{} 3
            c{x="y"} 1
            """, names);

        Assert.Equal(["a_seconds", "a_seconds_bucket", "a_seconds_sum", "b_total", "c"], names.Order(StringComparer.Ordinal));
    }

    /// <summary>Name → where it is named (the dashboard, docs/…).</summary>
    private static Dictionary<string, SortedSet<string>> WantedNames()
    {
        var wanted = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        void Add(string name, string where)
        {
            if (!wanted.TryGetValue(name, out var set))
                wanted[name] = set = new SortedSet<string>(StringComparer.Ordinal);
            set.Add(where);
        }

        using (var dashboard = JsonDocument.Parse(File.ReadAllText(RepoPaths.Path("deploy", "k8s", "observability", "inference-mesh-dashboard.json"))))
        {
            foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
            {
                if (!panel.TryGetProperty("targets", out var targets))
                    continue;
                foreach (var target in targets.EnumerateArray())
                {
                    foreach (Match m in MeshName().Matches(target.GetProperty("expr").GetString() ?? ""))
                        Add(m.Value, "dashboard");
                }
            }
        }
        var docs = RepoPaths.Path("docs");
        foreach (var file in Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories).Append(RepoPaths.Path("README.md")))
        {
            foreach (Match m in MeshName().Matches(File.ReadAllText(file)))
                Add(m.Value, Path.GetRelativePath(RepoPaths.Path(), file));
        }
        return wanted;
    }

    /// <summary>The family (<c># TYPE</c>) and sample names of every live replica's <c>/metrics</c>.</summary>
    private async Task<HashSet<string>> ScrapeAllAsync()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var app in Apps)
        {
            var answered = 0;
            foreach (var address in ensemble.AddressesOf(app))
            {
                string text;
                try
                {
                    text = await Http.GetStringAsync(new Uri(address, "metrics"));
                }
                catch (HttpRequestException)
                {
                    // A replica another test killed.
                    continue;
                }
                answered++;
                AddNames(text, names);
            }
            Assert.True(answered > 0, $"no {app} replica answered /metrics");
        }
        return names;
    }

    /// <summary>Histogram families count by their base name (the <c># TYPE</c> line) as well as their series names.</summary>
    private static void AddNames(string exposition, HashSet<string> names)
    {
        foreach (var raw in exposition.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                names.Add(line.Split(' ')[2]);
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                var end = line.IndexOfAny(['{', ' ']);
                names.Add(end < 0 ? line : line[..end]);
            }
        }
    }

    // Ours, and the reference picker's per-objective names emitted beside them (inference_pool_* are not: docs/conformance.md).
    [GeneratedRegex(@"\b(inferencemesh|inference_objective|inference_extension)_[a-z0-9_]*[a-z0-9]")]
    private static partial Regex MeshName();
}
