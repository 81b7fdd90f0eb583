using System.Globalization;
using System.Text;
using InferenceMesh.Bench.Results;

namespace InferenceMesh.Bench.Report;

/// <summary>One Markdown table per workload over <c>bench replay --replicas N</c> result files: each policy and sharing
/// variant at every replica count, with its change against the same variant at one replica.</summary>
public static class ReplicaTable
{
    /// <summary>The Markdown text.</summary>
    public static string Render(IReadOnlyList<BenchResults> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var rows = new List<(string Workload, PolicyResult Result, ReplicaResult Replicas)>();
        foreach (var file in inputs)
        {
            var spread = file.Results.Count > 0 ? file.Results[0].Replicas?.Spread : null;
            var workload = Inv($"{file.Workload.Name} ({file.Workload.Requests} requests, load ×{file.Workload.LoadScale:0.##}, {file.Fleet.Servers} × {file.Fleet.Profile}, spread {spread ?? "-"})");
            foreach (var r in file.Results)
            {
                // The reference picker always runs per-replica: its rows from shared runs would repeat under a wrong label.
                if (r.Replicas is { } replicas && !(r.Policy == "gie-reference" && replicas.PrefixState == "shared"))
                {
                    rows.Add((workload, r, replicas));
                }
            }
        }

        var sb = new StringBuilder();
        foreach (var group in rows.GroupBy(r => r.Workload, StringComparer.Ordinal))
        {
            sb.AppendLine(Inv($"**{group.Key}**"));
            sb.AppendLine();
            sb.AppendLine("| policy | prefix state | in-flight | replicas | TTFT mean | p90 | p99 | prefix hit | queue overshoot | p90 vs 1 | hit vs 1 |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
            var ordered = group
                .OrderBy(r => r.Result.Policy, StringComparer.Ordinal)
                .ThenBy(r => r.Replicas.PrefixState, StringComparer.Ordinal)
                .ThenBy(r => r.Replicas.ShareInFlight ? 0 : 1)
                .ThenBy(r => r.Replicas.Replicas)
                .ToList();
            foreach (var (_, p, x) in ordered)
            {
                var one = ordered.FirstOrDefault(o => o.Result.Policy == p.Policy && o.Replicas.Replicas == 1
                    && (o.Replicas.PrefixState == x.PrefixState || p.Policy == "gie-reference") && o.Replicas.ShareInFlight == x.ShareInFlight);
                one = one.Result is null ? ordered.FirstOrDefault(o => o.Result.Policy == p.Policy && o.Replicas.Replicas == 1) : one;
                var p90 = one.Result is null || x.Replicas == 1 ? "" : Signed(Math.Round(((p.TtftMs.P90 / one.Result.TtftMs.P90) - 1) * 100, 1), " %");
                var hit = one.Result is null || x.Replicas == 1 ? "" : Signed(Math.Round((p.PrefixHitRate - one.Result.PrefixHitRate) * 100, 1), " pp");
                sb.AppendLine(Inv($"| {p.Policy} | {x.PrefixState} | {(x.ShareInFlight ? "shared" : "local")} | {x.Replicas} | {MarkdownReport.Ms(p.TtftMs.Mean)} | {MarkdownReport.Ms(p.TtftMs.P90)} | {MarkdownReport.Ms(p.TtftMs.P99)} | {p.PrefixHitRate:P1} | {x.QueueOvershootMean:F2} | {p90} | {hit} |"));
            }

            sb.AppendLine();
        }

        return sb.ToString();
    }

    private static string Signed(double v, string unit) => (v > 0 ? "+" : v < 0 ? "−" : "±") + Inv($"{Math.Abs(v):F1}{unit}");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
