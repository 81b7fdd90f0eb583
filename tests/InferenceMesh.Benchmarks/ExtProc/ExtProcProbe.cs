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
    private static readonly TimeSpan JitQuietWindow = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan JitQuietLimit = TimeSpan.FromSeconds(30);
    private const int JitQuietMethods = 10;

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
        for (var round = 0; round < options.Rounds; round++)
        {
            // Interleaved: round r starts with mode r, so a drift in the machine's load (or a late JIT tier-up) does not
            // always land on the same mode.
            for (var k = 0; k < options.Modes.Count; k++)
            {
                var mode = (round + k) % options.Modes.Count;
                var r = round;
                await progress.WriteLineAsync($"[{options.Modes[mode]}] measuring" + (options.Rounds > 1 ? $", round {round + 1} of {options.Rounds}" : "")).ConfigureAwait(false);
                await ForEachRowAsync(options, options.Modes[mode], workloads, async (target, client, w, streams, label) =>
                    rows.Add(await RunRowAsync(target, client, options, mode, r, w, streams, label, progress).ConfigureAwait(false))).ConfigureAwait(false);
            }
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

    /// <summary>Every mode starts fresh hosts, which bring their own dynamic methods (dependency-injection factories,
    /// gRPC and minimal-API invokers) and restart tiered JIT's quiet-period clock; the JIT's CPU would land in the
    /// measured row (hundreds of methods and up to half the row's CPU were seen). So warm-up goes on, in windows of at
    /// least <see cref="JitQuietWindow"/>, until a window compiles at most <see cref="JitQuietMethods"/> methods.</summary>
    private static async Task WarmUntilJitQuietAsync(ExtProcProbeClient client, ExtProcProbeOptions options, Workload w, int streams, string label, TextWriter progress)
    {
        var start = Stopwatch.GetTimestamp();
        while (true)
        {
            var methods = System.Runtime.JitInfo.GetCompiledMethodCount();
            var window = Stopwatch.GetTimestamp();
            do
                await client.MeasureAsync(w.Chunks, w.Bytes, streams, Math.Max(options.Warmup, 2 * streams)).ConfigureAwait(false);
            while (Stopwatch.GetElapsedTime(window) < JitQuietWindow);
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - methods;
            if (compiled <= JitQuietMethods)
                return;
            if (Stopwatch.GetElapsedTime(start) > JitQuietLimit)
            {
                await progress.WriteLineAsync($"{label}: the JIT still compiled {compiled} methods in the last warm-up window after {JitQuietLimit.TotalSeconds:0} s; measuring anyway").ConfigureAwait(false);
                return;
            }
        }
    }

    private static async Task<Row> RunRowAsync(
        ExtProcProbeTarget target, ExtProcProbeClient client, ExtProcProbeOptions options, int mode, int round, Workload w, int streams, string label, TextWriter progress)
    {
        // Connections, pools and the scheduler's in-flight table in steady state at this row's concurrency.
        if (options.Warmup > 0)
        {
            await WarmAsync(client, options, w, streams, options.WarmupSeconds, label, progress).ConfigureAwait(false);
            await WarmUntilJitQuietAsync(client, options, w, streams, label, progress).ConfigureAwait(false);
        }
        if (await target.SettleAsync(SettleTimeout).ConfigureAwait(false) is > 0 and var before)
            await progress.WriteLineAsync($"{label}: {before} completions still outstanding after {SettleTimeout.TotalSeconds:0} s; measuring anyway").ConfigureAwait(false);
        GC.Collect();
        GC.WaitForPendingFinalizers();

        RowMeasurement m;
        double[] server;
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var runtimeBefore = RuntimeCost.Now();
        var failOpenBefore = target.FailOpenDecisions;
        using (var recorder = new PickerLatencyRecorder())
        {
            m = await client.MeasureAsync(w.Chunks, w.Bytes, streams, options.Decisions).ConfigureAwait(false);
            server = recorder.Sorted();
        }
        self.Refresh();
        var cpuPer1000 = (self.TotalProcessorTime - cpuBefore).TotalMilliseconds * 1000 / Math.Max(1, m.Decisions);
        var runtime = RuntimeCost.Now() - runtimeBefore;
        var failed = m.Errors > 0 ? $", {m.Errors} errors, first: {m.FirstError}" : "";
        if (target.FailOpenDecisions - failOpenBefore is > 0 and var blind)
            await progress.WriteLineAsync($"{label}: WARNING the scheduler routed {blind} decisions fail-open (its snapshot counted as lost): not the picker's path").ConfigureAwait(false);
        await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{label}: p50 {Micros(m.P50Micros)} µs, p99 {Micros(m.P99Micros)} µs, {m.PerSecond:#,0} decisions/s{failed}")).ConfigureAwait(false);
        var settle = Stopwatch.GetTimestamp();
        if (await target.SettleAsync(SettleTimeout).ConfigureAwait(false) is > 0 and var after)
            await progress.WriteLineAsync($"{label}: {after} completions still outstanding after {SettleTimeout.TotalSeconds:0} s").ConfigureAwait(false);
        else if (Stopwatch.GetElapsedTime(settle).TotalSeconds >= 1)
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{label}: the completions took {Stopwatch.GetElapsedTime(settle).TotalSeconds:0.0} s more to reach the scheduler")).ConfigureAwait(false);
        return new Row(mode, round, w.Index, streams, m,
            server.Length > 0 ? Percentile.Of(server, 0.50) : double.NaN,
            server.Length > 0 ? Percentile.Of(server, 0.99) : double.NaN, cpuPer1000, runtime);
    }

    private static async Task WriteTableAsync(TextWriter output, ExtProcProbeOptions options, List<Row> rows, DateTimeOffset started, TimeSpan elapsed)
    {
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"probe-extproc, {started:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, " +
            $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC; {options.Decisions} decisions per row after ≥ {options.WarmupSeconds} s of warm-up " +
            $"(priming pass {options.PrimeSeconds} s per row); {options.Endpoints} endpoints; body in {options.ChunkKilobytes} KB chunks; {elapsed.TotalSeconds:0} s in all")).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        var rounds = options.Rounds > 1;
        await output.WriteLineAsync((rounds ? "| round " : "") + "| mode | prompt | streams | decisions | p50 µs | p99 µs | decisions/s | server p50 µs | server p99 µs | KB allocated / decision | errors | CPU ms / 1,000 decisions | JIT ms (methods) | GCs gen0/1/2 (pause ms) |").ConfigureAwait(false);
        await output.WriteLineAsync((rounds ? "|---" : "") + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|").ConfigureAwait(false);
        // Grouped by workload (and round) so every mode sits next to the pass-through server of the same run.
        rows.Sort((a, b) => a.Prompt != b.Prompt ? a.Prompt.CompareTo(b.Prompt) : a.Streams != b.Streams ? a.Streams.CompareTo(b.Streams)
            : a.Round != b.Round ? a.Round.CompareTo(b.Round) : a.Mode.CompareTo(b.Mode));
        foreach (var r in rows)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{(rounds ? $"| {r.Round + 1} " : "")}| {options.Modes[r.Mode]} | {options.PromptKilobytes[r.Prompt]} KB | {r.Streams} | {r.M.Decisions} | {Micros(r.M.P50Micros)} | {Micros(r.M.P99Micros)} | {r.M.PerSecond:#,0} | {Micros(r.ServerP50)} | {Micros(r.ServerP99)} | {Kilobytes(r.M.AllocatedPerDecision)} | {r.M.Errors} | {r.CpuMsPer1000:#,0} | {r.Runtime.JitMilliseconds:#,0} ({r.Runtime.JitMethods:#,0}) | {r.Runtime.Gen0}/{r.Runtime.Gen1}/{r.Runtime.Gen2} ({r.Runtime.GcPauseMilliseconds:0}) |")).ConfigureAwait(false);
        }
        await output.WriteLineAsync().ConfigureAwait(false);
        if (rounds)
            await WriteRoundSummaryAsync(output, options, rows).ConfigureAwait(false);
        await output.WriteLineAsync("p50/p99: client side, writing the end_of_stream chunk → reading the headers answer. server p50/p99: ext-proc's own " +
            "picker latency metric (end of body read → headers answer written); '-' for the pass-through server, which has none. " +
            "KB allocated / decision: GC.GetTotalAllocatedBytes(true) over the row ÷ decisions — the whole process (client and server). " +
            "CPU ms / 1,000 decisions: the process's CPU time (all cores) over the row ÷ decisions × 1,000 — client, ext-proc and scheduler " +
            "(and in stand-ins mode the stand-in sidecars; redis-server is a separate process); the pass-through row is the client and protocol floor. " +
            "JIT ms (methods): time spent in the JIT during the row and methods compiled (System.Runtime.JitInfo, all threads; wall time, so inflated on busy cores; its CPU is part of the CPU column, so a row with many methods was not yet warm). " +
            "GCs: collections per generation (a gen1 count includes the gen2 ones) during the row, and the time the GC paused the process.").ConfigureAwait(false);
    }

    /// <summary>With several rounds: per workload and mode the median over rounds of CPU per decision and of the ratios
    /// to the pass-through row of the same round (CPU and decisions/s).</summary>
    private static async Task WriteRoundSummaryAsync(TextWriter output, ExtProcProbeOptions options, List<Row> rows)
    {
        var passThrough = -1;
        for (var i = 0; i < options.Modes.Count; i++)
        {
            if (options.Modes[i] == ExtProcProbeOptions.PassThrough)
                passThrough = i;
        }
        await output.WriteLineAsync("| mode | prompt | streams | rounds | median CPU ms / 1,000 decisions | median CPU vs pass-through | median decisions/s vs pass-through | median KB allocated / decision |").ConfigureAwait(false);
        await output.WriteLineAsync("|---|---|---|---|---|---|---|---|").ConfigureAwait(false);
        foreach (var prompt in Enumerable.Range(0, options.PromptKilobytes.Count))
        {
            foreach (var streams in options.Streams)
            {
                for (var mode = 0; mode < options.Modes.Count; mode++)
                {
                    List<double> cpu = [], cpuRatio = [], rateRatio = [], alloc = [];
                    foreach (var r in rows)
                    {
                        if (r.Prompt != prompt || r.Streams != streams || r.Mode != mode)
                            continue;
                        cpu.Add(r.CpuMsPer1000);
                        alloc.Add(r.M.AllocatedPerDecision);
                        var floor = rows.Find(x => x.Prompt == prompt && x.Streams == streams && x.Round == r.Round && x.Mode == passThrough);
                        if (floor is not null)
                        {
                            cpuRatio.Add(r.CpuMsPer1000 / floor.CpuMsPer1000);
                            rateRatio.Add(r.M.PerSecond / floor.M.PerSecond);
                        }
                    }
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"| {options.Modes[mode]} | {options.PromptKilobytes[prompt]} KB | {streams} | {cpu.Count} | {Median(cpu):#,0} | {Ratio(cpuRatio)} | {Ratio(rateRatio)} | {Kilobytes(Median(alloc))} |")).ConfigureAwait(false);
                }
            }
        }
        await output.WriteLineAsync().ConfigureAwait(false);
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
            return double.NaN;
        values.Sort();
        return Percentile.Of(values.ToArray(), 0.50);
    }

    private static string Ratio(List<double> values) =>
        values.Count == 0 ? "-" : (Median(values) * 100).ToString("0", CultureInfo.InvariantCulture) + " %";

    private static string Kilobytes(double bytes) =>
        double.IsNaN(bytes) ? "-" : (bytes / 1024).ToString("#,0.0", CultureInfo.InvariantCulture);

    private static string Micros(double value) =>
        double.IsNaN(value) ? "-" : value.ToString("#,0", CultureInfo.InvariantCulture);

    private sealed record Workload(int Index, int Kilobytes, ProcessingRequest[] Chunks, int Bytes);

    private sealed record Row(int Mode, int Round, int Prompt, int Streams, RowMeasurement M, double ServerP50, double ServerP99, double CpuMsPer1000, RuntimeCost Runtime);
}
