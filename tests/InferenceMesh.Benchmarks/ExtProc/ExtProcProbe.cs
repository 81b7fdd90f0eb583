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

        var workloads = new Workload[options.PromptKilobytes.Count];
        for (var p = 0; p < workloads.Length; p++)
        {
            var body = ExtProcDecisionBenchmarks.Prompt(options.PromptKilobytes[p] * 1024);
            workloads[p] = new Workload(p, options.PromptKilobytes[p], ExtProcProbeClient.BodyChunks(body, options.ChunkKilobytes * 1024), body.Length);
        }

        var started = DateTimeOffset.UtcNow;
        var total = Stopwatch.StartNew();
        if (options.Warmup > 0 && options.PrimeSeconds > 0)
        {
            // Tiered JIT promotes a hot method only after a quiet spell and a call count, and the modes share most of the
            // stack (Kestrel, HttpClient, gRPC framing, ext-proc): without this pass whichever mode runs first looks slowest.
            foreach (var mode in options.Modes)
            {
                await progress.WriteLineAsync($"[{mode}] priming (not measured)").ConfigureAwait(false);
                await ForEachRowAsync(options, mode, workloads, (_, client, w, streams, label) =>
                    WarmAsync(client, options, w, streams, options.PrimeSeconds, label, progress)).ConfigureAwait(false);
            }
        }

        var rows = new List<Row>();
        for (var m = 0; m < options.Modes.Count; m++)
        {
            var mode = m;
            await progress.WriteLineAsync($"[{options.Modes[m]}] measuring").ConfigureAwait(false);
            await ForEachRowAsync(options, options.Modes[m], workloads, async (target, client, w, streams, label) =>
                rows.Add(await RunRowAsync(target, client, options, mode, w, streams, label, progress).ConfigureAwait(false))).ConfigureAwait(false);
        }

        await WriteTableAsync(output, options, rows, started, total.Elapsed).ConfigureAwait(false);
        var errors = 0;
        foreach (var r in rows)
            errors += r.M.Errors;
        return errors == 0 ? 0 : 1;
    }

    /// <summary>Starts <paramref name="mode"/>'s hosts, calls <paramref name="row"/> for every prompt × streams, stops them.</summary>
    private static async Task ForEachRowAsync(
        ExtProcProbeOptions options, string mode, Workload[] workloads, Func<ExtProcProbeTarget, ExtProcProbeClient, Workload, int, string, Task> row)
    {
        var target = await ExtProcProbeTarget.StartAsync(mode, options.Endpoints).ConfigureAwait(false);
        await using (target.ConfigureAwait(false))
        {
            using var client = new ExtProcProbeClient(target);
            foreach (var w in workloads)
            {
                foreach (var streams in options.Streams)
                    await row(target, client, w, streams, $"[{mode}] {w.Kilobytes} KB × {streams} streams").ConfigureAwait(false);
            }
        }
    }

    /// <summary>Rounds of warm-up decisions at the row's own concurrency until <paramref name="seconds"/> have passed.</summary>
    private static async Task WarmAsync(ExtProcProbeClient client, ExtProcProbeOptions options, Workload w, int streams, int seconds, string label, TextWriter progress)
    {
        var start = Stopwatch.GetTimestamp();
        do
        {
            var warm = await client.MeasureAsync(w.Chunks, w.Bytes, streams, Math.Max(options.Warmup, 2 * streams)).ConfigureAwait(false);
            if (warm.Errors > 0)
                await progress.WriteLineAsync($"{label}: {warm.Errors} warm-up decisions failed, first: {warm.FirstError}").ConfigureAwait(false);
        }
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < seconds);
    }

    private static async Task<Row> RunRowAsync(
        ExtProcProbeTarget target, ExtProcProbeClient client, ExtProcProbeOptions options, int mode, Workload w, int streams, string label, TextWriter progress)
    {
        // Connections, pools and the scheduler's in-flight table in steady state at this row's concurrency.
        if (options.Warmup > 0)
            await WarmAsync(client, options, w, streams, options.WarmupSeconds, label, progress).ConfigureAwait(false);
        if (await target.SettleAsync(SettleTimeout).ConfigureAwait(false) is > 0 and var before)
            await progress.WriteLineAsync($"{label}: {before} completions still outstanding after {SettleTimeout.TotalSeconds:0} s; measuring anyway").ConfigureAwait(false);
        GC.Collect();
        GC.WaitForPendingFinalizers();

        RowMeasurement m;
        double[] server;
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        using (var recorder = new PickerLatencyRecorder())
        {
            m = await client.MeasureAsync(w.Chunks, w.Bytes, streams, options.Decisions).ConfigureAwait(false);
            server = recorder.Sorted();
        }
        self.Refresh();
        var cpuPer1000 = (self.TotalProcessorTime - cpuBefore).TotalMilliseconds * 1000 / Math.Max(1, m.Decisions);
        var failed = m.Errors > 0 ? $", {m.Errors} errors, first: {m.FirstError}" : "";
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{label}: p50 {Micros(m.P50Micros)} µs, p99 {Micros(m.P99Micros)} µs, {m.PerSecond:#,0} decisions/s{failed}")).ConfigureAwait(false);
        var settle = Stopwatch.GetTimestamp();
        if (await target.SettleAsync(SettleTimeout).ConfigureAwait(false) is > 0 and var after)
            await progress.WriteLineAsync($"{label}: {after} completions still outstanding after {SettleTimeout.TotalSeconds:0} s").ConfigureAwait(false);
        else if (Stopwatch.GetElapsedTime(settle).TotalSeconds >= 1)
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{label}: the completions took {Stopwatch.GetElapsedTime(settle).TotalSeconds:0.0} s more to reach the scheduler")).ConfigureAwait(false);
        return new Row(mode, w.Index, streams, m,
            server.Length > 0 ? Percentile.Of(server, 0.50) : double.NaN,
            server.Length > 0 ? Percentile.Of(server, 0.99) : double.NaN, cpuPer1000);
    }

    private static async Task WriteTableAsync(TextWriter output, ExtProcProbeOptions options, List<Row> rows, DateTimeOffset started, TimeSpan elapsed)
    {
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"probe-extproc, {started:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, " +
            $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC; {options.Decisions} decisions per row after ≥ {options.WarmupSeconds} s of warm-up " +
            $"(priming pass {options.PrimeSeconds} s per row); {options.Endpoints} endpoints; body in {options.ChunkKilobytes} KB chunks; {elapsed.TotalSeconds:0} s in all")).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("| mode | prompt | streams | decisions | p50 µs | p99 µs | decisions/s | server p50 µs | server p99 µs | KB allocated / decision | errors | CPU ms / 1,000 decisions |").ConfigureAwait(false);
        await output.WriteLineAsync("|---|---|---|---|---|---|---|---|---|---|---|---|").ConfigureAwait(false);
        // Grouped by workload so every mode sits next to the pass-through server of the same run.
        rows.Sort((a, b) => a.Prompt != b.Prompt ? a.Prompt.CompareTo(b.Prompt) : a.Streams != b.Streams ? a.Streams.CompareTo(b.Streams) : a.Mode.CompareTo(b.Mode));
        foreach (var r in rows)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"| {options.Modes[r.Mode]} | {options.PromptKilobytes[r.Prompt]} KB | {r.Streams} | {r.M.Decisions} | {Micros(r.M.P50Micros)} | {Micros(r.M.P99Micros)} | {r.M.PerSecond:#,0} | {Micros(r.ServerP50)} | {Micros(r.ServerP99)} | {Kilobytes(r.M.AllocatedPerDecision)} | {r.M.Errors} | {r.CpuMsPer1000:#,0} |")).ConfigureAwait(false);
        }
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("p50/p99: client side, writing the end_of_stream chunk → reading the headers answer. server p50/p99: ext-proc's own " +
            "picker latency metric (end of body read → headers answer written); '-' for the pass-through server, which has none. " +
            "KB allocated / decision: GC.GetTotalAllocatedBytes(true) over the row ÷ decisions — the whole process (client and server). " +
            "CPU ms / 1,000 decisions: the process's CPU time (all cores) over the row ÷ decisions × 1,000 — client, ext-proc and scheduler " +
            "(and in stand-ins mode the stand-in sidecars; redis-server is a separate process); the pass-through row is the client and protocol floor.").ConfigureAwait(false);
    }

    private static string Kilobytes(double bytes) =>
        double.IsNaN(bytes) ? "-" : (bytes / 1024).ToString("#,0.0", CultureInfo.InvariantCulture);

    private static string Micros(double value) =>
        double.IsNaN(value) ? "-" : value.ToString("#,0", CultureInfo.InvariantCulture);

    private sealed record Workload(int Index, int Kilobytes, ProcessingRequest[] Chunks, int Bytes);

    private sealed record Row(int Mode, int Prompt, int Streams, RowMeasurement M, double ServerP50, double ServerP99, double CpuMsPer1000);
}
