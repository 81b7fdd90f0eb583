using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using InferenceMesh.Prefix.Index;
using StackExchange.Redis;

namespace InferenceMesh.Benchmarks.Prefix;

/// <summary>What BenchmarkDotNet does not report: per-call latency percentiles (p50/p99) and round trips per call of
/// match-and-record (256 blocks × 8 candidates) per backend, and Redis memory per indexed block. Call
/// <see cref="RunAsync"/> from the benchmark host (e.g. <c>bench prefix-probe</c>); results go to docs/benchmarks/.</summary>
public static class PrefixIndexProbe
{
    public const string Help = """
        probe-prefix: prefix-index match latency (p50/p99), store round trips per call and Redis memory per block.

        Each backend (memory; redis: a throw-away redis-server; dapr: the Dapr state-store backend through the stand-in
        sidecar, over redis-server) answers match and match-and-record calls of 256 blocks over 8 candidate endpoints,
        one after another; then 250,000 blocks are indexed to measure Redis memory per block. Needs redis-server on PATH. Markdown to stdout, progress to stderr.

        Options:
          --calls N   calls per backend and call kind (default 5000)
          --help      this text
        """;

    /// <summary>Parses <paramref name="args"/> (the command name excluded) and runs the probe; returns the exit code
    /// (2 for a bad option, with the reason on <paramref name="progress"/>).</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(progress);
        var calls = 5000;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "--help" or "-h")
            {
                await output.WriteLineAsync(Help).ConfigureAwait(false);
                return 0;
            }
            if (args[i] == "--calls" && i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
            {
                calls = n;
                i++;
                continue;
            }
            await progress.WriteLineAsync($"probe-prefix: {args[i]} is not an option, or lacks a positive whole number (see --help)").ConfigureAwait(false);
            return 2;
        }
        await RunAsync(output, calls).ConfigureAwait(false);
        return 0;
    }

    /// <summary>Runs every backend and writes one Markdown table row per backend, then the memory figures.</summary>
    public static async Task RunAsync(TextWriter output, int calls = 5000, int blocksForMemory = 250_000)
    {
        ArgumentNullException.ThrowIfNull(output);
        await output.WriteLineAsync("| backend | call | calls | p50 µs | p99 µs | round trips / call | server µs / call |").ConfigureAwait(false);
        await output.WriteLineAsync("|---|---|---|---|---|---|---|").ConfigureAwait(false);
        foreach (var backend in new[] { "memory", "redis", "dapr" })
        {
            foreach (var record in new[] { false, true })
            {
                await Console.Error.WriteLineAsync($"probe-prefix: {backend} {(record ? "match-and-record" : "match")} × {calls}…").ConfigureAwait(false);
                var (p50, p99, trips, server) = await LatencyAsync(backend, calls, record).ConfigureAwait(false);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"| {backend} | {(record ? "match-and-record" : "match")} | {calls} | {p50:0.0} | {p99:0.0} | {trips:0.00} | {(double.IsNaN(server) ? "-" : server.ToString("0.0", CultureInfo.InvariantCulture))} |")).ConfigureAwait(false);
            }
        }
        var (perBlockUsed, perBlockKeys) = await RedisMemoryPerBlockAsync(blocksForMemory).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"\nRedis memory per indexed block ({blocksForMemory} blocks, 8 endpoints): used_memory delta {perBlockUsed:0.0} B, MEMORY USAGE of the keys {perBlockKeys:0.0} B")).ConfigureAwait(false);
    }

    /// <summary>p50/p99 in microseconds, store round trips per match-and-record call, and (redis) the script's own time
    /// per call on the server (INFO commandstats), which a loaded client machine does not distort.</summary>
    public static async Task<(double P50, double P99, double RoundTripsPerCall, double ServerMicros)> LatencyAsync(string backend, int calls, bool record = true)
    {
        await using var backends = await PrefixIndexBackends.StartAsync(backend, new PrefixIndexOptions()).ConfigureAwait(false);
        var random = new Random(11);
        var candidates = Enumerable.Range(0, 8).Select(i => $"10.0.0.{i}:8000").ToArray();
        var chains = new ulong[64][];
        for (var c = 0; c < chains.Length; c++)
        {
            chains[c] = new ulong[256];
            for (var i = 0; i < 256; i++)
                chains[c][i] = i < 128 ? (ulong)(i + 1) * 0x9E3779B97F4A7C15UL : (ulong)random.NextInt64(); // shared first half
        }

        long roundTrips = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PrefixIndexMetrics.MeterName && instrument.Name == PrefixIndexMetrics.Names.StoreRoundTrips)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref roundTrips, value));
        listener.Start();

        for (var i = 0; i < 200; i++) // warm-up: script load, connections, JIT
            await backends.Index.MatchAndRecordAsync("m", chains[i % chains.Length], candidates, candidates[i % 8], default).ConfigureAwait(false);
        if (backends.Redis is { } warm)
            await Server(warm).ConfigResetStatisticsAsync().ConfigureAwait(false);
        var sentBefore = backends.Redis?.OperationCount ?? 0;
        Interlocked.Exchange(ref roundTrips, 0);

        var samples = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var endpoint = candidates[random.Next(8)];
            var start = Stopwatch.GetTimestamp();
            if (record)
                await backends.Index.MatchAndRecordAsync("m", chains[i % chains.Length], candidates, endpoint, default).ConfigureAwait(false);
            else
                await backends.Index.MatchAsync("m", chains[i % chains.Length], candidates, default).ConfigureAwait(false);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(samples);
        // For redis the multiplexer's own count of commands sent is the ground truth; other backends report through metrics.
        double trips = backends.Redis is { } redis ? (double)(redis.OperationCount - sentBefore) / calls : (double)Interlocked.Read(ref roundTrips) / calls;
        var server = backends.Redis is { } r ? await EvalShaMicrosAsync(r).ConfigureAwait(false) : double.NaN;
        return (samples[calls / 2], samples[(int)(calls * 0.99)], trips, server);
    }

    /// <summary>Bytes of Redis memory per (endpoint, block) entry: used_memory delta and the sum of MEMORY USAGE.</summary>
    public static async Task<(double UsedMemory, double KeyMemory)> RedisMemoryPerBlockAsync(int blocks)
    {
        await using var backends = await PrefixIndexBackends.StartAsync("redis", new PrefixIndexOptions { DefaultCapacity = blocks }).ConfigureAwait(false);
        var redis = backends.Redis!;
        var before = await UsedMemoryAsync(redis).ConfigureAwait(false);
        var random = new Random(3);
        var chain = new ulong[256];
        var recorded = 0;
        while (recorded < blocks)
        {
            for (var i = 0; i < chain.Length; i++)
                chain[i] = (ulong)random.NextInt64();
            var n = Math.Min(chain.Length, blocks - recorded);
            await backends.Index.RecordAsync("m", $"10.0.0.{recorded / 256 % 8}:8000", chain.AsMemory(0, n), default).ConfigureAwait(false);
            recorded += n;
        }
        var after = await UsedMemoryAsync(redis).ConfigureAwait(false);
        var stats = await backends.Index.StatsAsync(default).ConfigureAwait(false);
        return ((double)(after - before) / blocks, (double)(stats.MemoryBytes ?? 0) / blocks);
    }

    private static IServer Server(IConnectionMultiplexer redis) => redis.GetServer(redis.GetEndPoints()[0]);

    private static async Task<double> EvalShaMicrosAsync(IConnectionMultiplexer redis)
    {
        var info = await Server(redis).InfoRawAsync("commandstats").ConfigureAwait(false) ?? "";
        foreach (var line in info.Split("\r\n"))
        {
            if (!line.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal))
                continue;
            foreach (var part in line["cmdstat_evalsha:".Length..].Split(','))
            {
                if (part.StartsWith("usec_per_call=", StringComparison.Ordinal))
                    return double.Parse(part["usec_per_call=".Length..], CultureInfo.InvariantCulture);
            }
        }
        return double.NaN;
    }

    private static async Task<long> UsedMemoryAsync(IConnectionMultiplexer redis)
    {
        var info = await Server(redis).InfoRawAsync("memory").ConfigureAwait(false) ?? "";
        foreach (var line in info.Split("\r\n"))
        {
            if (line.StartsWith("used_memory:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan("used_memory:".Length), CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
