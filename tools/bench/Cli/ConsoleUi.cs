using System.Globalization;
using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Results;
using Spectre.Console;

namespace InferenceMesh.Bench.Cli;

/// <summary>Terminal output: a live progress bar on a terminal, plain progress lines when redirected (CI).</summary>
public static class ConsoleUi
{
    /// <summary>True when stdout is an interactive terminal.</summary>
    public static bool Interactive =>
        !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && Environment.GetEnvironmentVariable("CI") is null;

    /// <summary>Runs <paramref name="work"/> showing one progress row per policy.</summary>
    public static T WithProgress<T>(IReadOnlyList<string> policies, int total, Func<Action<ReplayProgress>, T> work)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(work);
        if (!Interactive)
        {
            var lastTenth = new Dictionary<string, int>(StringComparer.Ordinal);
            return work(p =>
            {
                var tenth = p.Total == 0 ? 10 : p.Done * 10 / p.Total;
                if (!lastTenth.TryGetValue(p.Policy, out var last) || tenth > last)
                {
                    lastTenth[p.Policy] = tenth;
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"[{p.Policy}] {p.Done}/{p.Total} requests ({tenth * 10}%), simulated {p.SimulatedMs / 1000.0:F1} s"));
                }
            });
        }

        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                foreach (var name in policies)
                {
                    tasks[name] = ctx.AddTask(Markup.Escape(name), autoStart: false, maxValue: Math.Max(1, total));
                }

                result = work(p =>
                {
                    if (tasks.TryGetValue(p.Policy, out var t))
                    {
                        if (!t.IsStarted)
                        {
                            t.StartTask();
                        }

                        t.Value = p.Done;
                    }
                });
                foreach (var t in tasks.Values)
                {
                    t.Value = t.MaxValue;
                    t.StopTask();
                }
            });
        return result;
    }

    /// <summary>Prints the per-policy results table (and the per-criticality one when present).</summary>
    public static void PrintResults(BenchResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var table = new Table().Border(TableBorder.Rounded)
            .Title(Markup.Escape($"{results.Workload.Name}: {results.Workload.Requests} requests on {results.Fleet.Servers} x {results.Fleet.Profile}"));
        foreach (var h in new[] { "policy", "requests", "errors", "TTFT mean", "TTFT p50", "TTFT p90", "TTFT p99", "TPOT mean", "TPOT p99", "e2e p50", "e2e p99", "out tok/s", "prefix hit", "KV max/mean" })
        {
            table.AddColumn(new TableColumn(h).RightAligned());
        }

        foreach (var p in results.Results)
        {
            table.AddRow(
                Markup.Escape(p.Policy), Inv($"{p.Requests}"), Markup.Escape(Errors(p.Errors, p.ErrorsByStatus)),
                Ms(p.TtftMs.Mean), Ms(p.TtftMs.P50), Ms(p.TtftMs.P90), Ms(p.TtftMs.P99), Ms(p.TpotMs.Mean), Ms(p.TpotMs.P99),
                Ms(p.E2eMs.P50), Ms(p.E2eMs.P99), Inv($"{p.OutputTokensPerS:F0}"), Inv($"{p.PrefixHitRate * 100:F1}%"), Inv($"{p.KvUsageMaxOverMean:F2}"));
        }

        Write(table);
        if (results.Results.Any(r => r.ByCriticality is not null))
        {
            var crit = new Table().Border(TableBorder.Rounded).Title("per criticality");
            foreach (var h in new[] { "policy", "criticality", "requests", "errors", "TTFT mean", "TTFT p50", "TTFT p99", "TPOT mean", "e2e p99" })
            {
                crit.AddColumn(new TableColumn(h).RightAligned());
            }

            foreach (var p in results.Results)
            {
                foreach (var (k, c) in p.ByCriticality ?? new Dictionary<string, CriticalityResult>())
                {
                    crit.AddRow(
                        Markup.Escape(p.Policy), k, Inv($"{c.Requests}"), Markup.Escape(Errors(c.Errors, c.ErrorsByStatus)),
                        Ms(c.TtftMs.Mean), Ms(c.TtftMs.P50), Ms(c.TtftMs.P99), Ms(c.TpotMs.Mean), Ms(c.E2eMs.P99));
                }
            }

            Write(crit);
        }
    }

    /// <summary>Writes a renderable; wide enough for the table even when redirected.</summary>
    public static void Write(Spectre.Console.Rendering.IRenderable renderable)
    {
        if (Interactive)
        {
            AnsiConsole.Write(renderable);
            return;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        console.Profile.Width = 200;
        console.Write(renderable);
    }

    private static string Errors(int total, IReadOnlyDictionary<string, int> byStatus) =>
        total == 0 ? "0" : Inv($"{total} ({string.Join(", ", byStatus.Select(kv => $"{kv.Key}: {kv.Value}"))})");

    private static string Ms(double v) => v >= 1000 ? Inv($"{v / 1000.0:F2} s") : Inv($"{v:F1} ms");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
