using System.Globalization;
using System.Text;
using InferenceMesh.Bench.Results;

namespace InferenceMesh.Bench.Report;

/// <summary>Turns result files into a Markdown report plus SVG charts written next to it.</summary>
public static class MarkdownReport
{
    /// <summary>Writes <paramref name="outPath"/> and its SVGs; returns the files written.</summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<(string Path, BenchResults Results)> inputs, string outPath)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var full = Path.GetFullPath(outPath);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var stem = Path.GetFileNameWithoutExtension(full);
        var (markdown, charts) = Render(inputs, stem);
        var written = new List<string>();
        foreach (var (name, svg) in charts)
        {
            var p = Path.Combine(dir, name);
            File.WriteAllText(p, svg);
            written.Add(p);
        }

        File.WriteAllText(full, markdown);
        written.Add(full);
        return written;
    }

    /// <summary>The Markdown text and the charts (file name → SVG) it links to.</summary>
    public static (string Markdown, IReadOnlyList<(string Name, string Svg)> Charts) Render(
        IReadOnlyList<(string Path, BenchResults Results)> inputs, string stem)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var md = new StringBuilder();
        var charts = new List<(string, string)>();
        md.AppendLine("# Routing benchmark report");
        md.AppendLine();
        for (var f = 0; f < inputs.Count; f++)
        {
            var (path, r) = inputs[f];
            var tag = inputs.Count == 1 ? stem : Inv($"{stem}-{f + 1}");
            md.AppendLine(Inv($"## {Path.GetFileName(path)}"));
            md.AppendLine();
            md.AppendLine(Inv($"- workload: **{r.Workload.Name}** — {r.Workload.Description}"));
            md.AppendLine(Inv($"- requests: {r.Workload.Requests} ({r.Workload.Mode}{(r.Workload.Concurrency > 0 ? $", concurrency {r.Workload.Concurrency}" : string.Empty)}), load scale {r.Workload.LoadScale}, seed {r.Workload.Seed}; mean input {r.Workload.InputTokensMean} / output {r.Workload.OutputTokensMean} tokens"));
            md.AppendLine(Inv($"- fleet: {r.Fleet.Servers} × {r.Fleet.Model} on profile **{r.Fleet.Profile}**, {r.Fleet.KvBlocksPerServer} KV blocks of {r.Fleet.BlockSize} tokens per server, max_num_seqs {r.Fleet.MaxNumSeqs}, max_num_batched_tokens {r.Fleet.MaxNumBatchedTokens}{(r.Fleet.LoraAdapters.Count > 0 ? $", LoRA {string.Join("/", r.Fleet.LoraAdapters)} (max_loras {r.Fleet.MaxLoras})" : string.Empty)}; metrics scraped every {r.Fleet.ScrapeIntervalMs} ms; {r.Fleet.Time}"));
            md.AppendLine(Inv($"- created {r.CreatedUtc}"));
            md.AppendLine();
            md.Append(Table(r.Results));
            var crit = CriticalityTable(r.Results);
            if (crit.Length > 0)
            {
                md.AppendLine();
                md.AppendLine("Per criticality:");
                md.AppendLine();
                md.Append(crit);
            }

            md.AppendLine();
            var withSeries = r.Results.Where(p => p.Series is not null).ToList();
            if (withSeries.Count == 0)
            {
                md.AppendLine("_No time series in this file (replayed with --no-series); charts skipped._");
                md.AppendLine();
                continue;
            }

            var cdf = SvgChart.Line(
                "TTFT CDF", "TTFT (ms)", "fraction of requests",
                [.. withSeries.Select(p => new SvgChart.Series(p.Policy, p.Series!.TtftQuantiles.Select((v, i) => (v, i / 100.0)).ToList()))],
                logX: true, yMax: 1.0);
            var cdfName = tag + "-ttft-cdf.svg";
            charts.Add((cdfName, cdf));
            md.AppendLine(Inv($"![TTFT CDF]({cdfName})"));
            md.AppendLine();

            var overTime = SvgChart.Line(
                "TTFT over time (rolling median of 15)", "arrival (s)", "TTFT (ms)",
                [.. withSeries.Select(p => new SvgChart.Series(p.Policy, RollingMedian(p.Series!.Ttft, 15)))]);
            var timeName = tag + "-ttft-time.svg";
            charts.Add((timeName, overTime));
            md.AppendLine(Inv($"![TTFT over time]({timeName})"));
            md.AppendLine();

            foreach (var p in withSeries)
            {
                var s = p.Series!;
                var kv = SvgChart.Line(
                    Inv($"KV cache usage per server — {p.Policy}"), "time (s)", "KV usage",
                    [.. s.KvUsage.Select((samples, i) => new SvgChart.Series(
                        i < p.Servers.Count ? p.Servers[i].Address : Inv($"server {i}"),
                        samples.Select((v, k) => (k * s.KvIntervalMs / 1000.0, v)).ToList()))],
                    yMax: 1.0);
                var kvName = Inv($"{tag}-kv-{Slug(p.Policy)}.svg");
                charts.Add((kvName, kv));
                md.AppendLine(Inv($"![KV usage {p.Policy}]({kvName})"));
                md.AppendLine();
            }
        }

        return (md.ToString(), charts);
    }

    /// <summary>The per-policy Markdown table (also used by docs).</summary>
    public static string Table(IReadOnlyList<PolicyResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder();
        sb.AppendLine("| policy | requests | errors | TTFT mean | TTFT p50 | TTFT p90 | TTFT p99 | TPOT mean | TPOT p99 | e2e p50 | e2e p99 | out tok/s | prefix hit | KV max/mean |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in results)
        {
            sb.AppendLine(Inv($"| {p.Policy} | {p.Requests} | {Errors(p.Errors, p.ErrorsByStatus)} | {Ms(p.TtftMs.Mean)} | {Ms(p.TtftMs.P50)} | {Ms(p.TtftMs.P90)} | {Ms(p.TtftMs.P99)} | {Ms(p.TpotMs.Mean)} | {Ms(p.TpotMs.P99)} | {Ms(p.E2eMs.P50)} | {Ms(p.E2eMs.P99)} | {p.OutputTokensPerS:F0} | {p.PrefixHitRate:P1} | {p.KvUsageMaxOverMean:F2} |"));
        }

        return sb.ToString();
    }

    private static string CriticalityTable(IReadOnlyList<PolicyResult> results)
    {
        if (results.All(r => r.ByCriticality is null))
        {
            return string.Empty;
        }

        var sb = new StringBuilder();
        sb.AppendLine("| policy | criticality | requests | errors | TTFT mean | TTFT p50 | TTFT p99 | TPOT mean | e2e p99 |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var p in results)
        {
            if (p.ByCriticality is null)
            {
                continue;
            }

            foreach (var (k, c) in p.ByCriticality)
            {
                sb.AppendLine(Inv($"| {p.Policy} | {k} | {c.Requests} | {Errors(c.Errors, c.ErrorsByStatus)} | {Ms(c.TtftMs.Mean)} | {Ms(c.TtftMs.P50)} | {Ms(c.TtftMs.P99)} | {Ms(c.TpotMs.Mean)} | {Ms(c.E2eMs.P99)} |"));
            }
        }

        return sb.ToString();
    }

    private static List<(double, double)> RollingMedian(IReadOnlyList<double[]> points, int window)
    {
        var result = new List<(double, double)>(points.Count);
        var buf = new List<double>(window);
        for (var i = 0; i < points.Count; i++)
        {
            buf.Clear();
            for (var j = Math.Max(0, i - (window / 2)); j <= Math.Min(points.Count - 1, i + (window / 2)); j++)
            {
                buf.Add(points[j][1]);
            }

            buf.Sort();
            result.Add((points[i][0], buf[buf.Count / 2]));
        }

        return result;
    }

    private static string Errors(int total, IReadOnlyDictionary<string, int> byStatus) =>
        total == 0 ? "0" : Inv($"{total} ({string.Join(", ", byStatus.Select(kv => $"{kv.Key}: {kv.Value}"))})");

    internal static string Ms(double v) => v >= 1000 ? Inv($"{v / 1000.0:F2} s") : Inv($"{v:F1} ms");

    private static string Slug(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? char.ToLowerInvariant(c) : '-');
        }

        return sb.ToString();
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
