using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary><c>probe-extproc</c>: what BenchmarkDotNet's means cannot show — per-decision ext_proc latency percentiles and
/// decisions/s at a fixed number of busy streams, for the picker in process, the picker through the Dapr stand-ins, and a
/// pass-through server measured in the same run. Results go to docs/benchmarks/ext-proc.md.</summary>
public static class ExtProcProbe
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs the probe with command-line <paramref name="args"/> (the command name excluded); the Markdown table
    /// goes to <paramref name="output"/>, progress to <paramref name="progress"/>. Returns the process exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(progress);
        ExtProcProbeOptions options;
        try
        {
            options = ExtProcProbeOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await progress.WriteLineAsync("probe-extproc: " + ex.Message).ConfigureAwait(false);
            return 2;
        }
        if (options.ShowHelp)
        {
            await output.WriteLineAsync(ExtProcProbeOptions.Help).ConfigureAwait(false);
            return 0;
        }

        var bodies = new Dictionary<int, (ProcessingRequest[] Chunks, int Bytes)>();
        foreach (var kb in options.PromptKilobytes)
        {
            var body = ExtProcDecisionBenchmarks.Prompt(kb * 1024);
            bodies[kb] = (ExtProcProbeClient.BodyChunks(body, options.ChunkKilobytes * 1024), body.Length);
        }

        var started = DateTimeOffset.UtcNow;
        var total = Stopwatch.StartNew();
        var rows = new List<(int Mode, int Prompt, int Streams, RowMeasurement M)>();
        for (var m = 0; m < options.Modes.Count; m++)
        {
            var mode = options.Modes[m];
            await progress.WriteLineAsync($"[{mode}] starting").ConfigureAwait(false);
            var target = await ExtProcProbeTarget.StartAsync(mode, options.Endpoints).ConfigureAwait(false);
            await using (target.ConfigureAwait(false))
            {
                using var client = new ExtProcProbeClient(target);
                for (var p = 0; p < options.PromptKilobytes.Count; p++)
                {
                    var kb = options.PromptKilobytes[p];
                    var (chunks, bytes) = bodies[kb];
                    foreach (var streams in options.Streams)
                    {
                        var row = await RunRowAsync(target, client, options, chunks, bytes, streams, $"[{mode}] {kb} KB × {streams} streams", progress).ConfigureAwait(false);
                        rows.Add((m, p, streams, row));
                    }
                }
            }
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"probe-extproc, {started:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, " +
            $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC; {options.Decisions} decisions per row after ≥ {options.Warmup} warm-up; " +
            $"{options.Endpoints} endpoints; body in {options.ChunkKilobytes} KB chunks; {total.Elapsed.TotalSeconds:0} s in all")).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("| mode | prompt | streams | decisions | p50 µs | p99 µs | decisions/s | errors |").ConfigureAwait(false);
        await output.WriteLineAsync("|---|---|---|---|---|---|---|---|").ConfigureAwait(false);
        // Grouped by workload so every mode sits next to the pass-through server of the same run.
        rows.Sort((a, b) => a.Prompt != b.Prompt ? a.Prompt.CompareTo(b.Prompt) : a.Streams != b.Streams ? a.Streams.CompareTo(b.Streams) : a.Mode.CompareTo(b.Mode));
        var errors = 0;
        foreach (var (mode, prompt, streams, r) in rows)
        {
            errors += r.Errors;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"| {options.Modes[mode]} | {options.PromptKilobytes[prompt]} KB | {streams} | {r.Decisions} | {Micros(r.P50Micros)} | {Micros(r.P99Micros)} | {r.PerSecond:#,0} | {r.Errors} |")).ConfigureAwait(false);
        }
        return errors == 0 ? 0 : 1;
    }

    private static async Task<RowMeasurement> RunRowAsync(
        ExtProcProbeTarget target, ExtProcProbeClient client, ExtProcProbeOptions options, ProcessingRequest[] chunks, int bytes, int streams, string label, TextWriter progress)
    {
        // Warm-up at the row's own concurrency: connections, JIT, pools and the scheduler's in-flight table in steady state.
        if (options.Warmup > 0)
        {
            var warm = await client.MeasureAsync(chunks, bytes, streams, Math.Max(options.Warmup, 2 * streams)).ConfigureAwait(false);
            if (warm.Errors > 0)
                await progress.WriteLineAsync($"{label}: {warm.Errors} warm-up decisions failed, first: {warm.FirstError}").ConfigureAwait(false);
        }
        if (!await target.SettleAsync(SettleTimeout).ConfigureAwait(false))
            await progress.WriteLineAsync($"{label}: completions still in flight after {SettleTimeout.TotalSeconds:0} s; measuring anyway").ConfigureAwait(false);
        GC.Collect();
        GC.WaitForPendingFinalizers();

        var row = await client.MeasureAsync(chunks, bytes, streams, options.Decisions).ConfigureAwait(false);
        var failed = row.Errors > 0 ? $", {row.Errors} errors, first: {row.FirstError}" : "";
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{label}: p50 {Micros(row.P50Micros)} µs, p99 {Micros(row.P99Micros)} µs, {row.PerSecond:#,0} decisions/s{failed}")).ConfigureAwait(false);
        if (!await target.SettleAsync(SettleTimeout).ConfigureAwait(false))
            await progress.WriteLineAsync($"{label}: completions still in flight after {SettleTimeout.TotalSeconds:0} s").ConfigureAwait(false);
        return row;
    }

    private static string Micros(double value) =>
        double.IsNaN(value) ? "-" : value.ToString("#,0", CultureInfo.InvariantCulture);
}
