using System.Globalization;

namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>Options of <c>probe-extproc</c>, parsed from the command line (see <see cref="Help"/>).</summary>
internal sealed record ExtProcProbeOptions
{
    public const string PassThrough = "pass-through";
    public const string Instant = "instant";
    public const string InProcess = "in-process";
    public const string StandIns = "stand-ins";

    public static readonly string[] AllModes = [PassThrough, Instant, InProcess, StandIns];

    public static readonly string[] DefaultModes = [PassThrough, InProcess, StandIns];

    public const string Help = """
        probe-extproc: per-decision ext_proc latency (p50/p99) and decisions/s.

        A decision is one Envoy FULL_DUPLEX_STREAMED request phase on its own gRPC stream: request headers, the body in
        chunks, then the headers answer with the destination endpoint and the re-streamed body. Latency is timed from
        writing the last body chunk (end_of_stream) to reading the headers answer: the picker latency Envoy sees.
        N streams are kept busy at once (each loops decision after decision) until the row's decisions are done.

        Modes:
          pass-through  answers the same messages without parsing, hashing or scheduling (the protocol's floor)
          instant       the real ext-proc with a scheduler that answers at once: ext-proc's own cost (not by default)
          in-process    the real ext-proc with the real SchedulingService in the same process (embedded mode)
          stand-ins     the real ext-proc -> its Dapr stand-in sidecar -> the real scheduler app (service invocation),
                        completions and the metrics snapshot over pub/sub, all on a throw-away redis-server

        Options:
          --decisions N        measured decisions per row (default 3000)
          --warmup N           decisions per warm-up round, at least 2 per stream; 0 = no warm-up at all (default 300)
          --warmup-seconds S   warm-up rounds before each measured row, for at least S s, then on until half a
                               second of them compiles at most 10 methods (fresh hosts bring new code; default 1)
          --prime-seconds S    first a priming pass (not measured) through every mode and row, S s each, so tiered
                               JIT has promoted the shared hot paths before any row is measured; 0 = none (default 4;
                               with 1 s, on 2 loaded cores, whichever mode ran first measured up to 5x slower)
          --modes LIST         comma-separated modes (default pass-through,in-process,stand-ins)
          --prompts LIST       prompt sizes in KB (default 8,220)
          --streams LIST       concurrent streams (default 1,50,150)
          --endpoints N        endpoints in the scheduler's pool snapshot (default 8)
          --chunk-kb N         request body chunk size in KB, as Envoy forwards it (default 16)
          --rounds N           measure every row N times, the modes interleaved (round r starts with mode r, so
                               no mode always runs first); each round starts the mode's hosts afresh (default 1)
          --help               this text

        The Markdown table goes to stdout, progress to stderr.
        """;

    public int Decisions { get; init; } = 3000;

    public int Warmup { get; init; } = 300;

    public int WarmupSeconds { get; init; } = 1;

    public int PrimeSeconds { get; init; } = 4;

    public IReadOnlyList<string> Modes { get; init; } = DefaultModes;

    public IReadOnlyList<int> PromptKilobytes { get; init; } = [8, 220];

    public IReadOnlyList<int> Streams { get; init; } = [1, 50, 150];

    public int Endpoints { get; init; } = 8;

    public int ChunkKilobytes { get; init; } = 16;

    public int Rounds { get; init; } = 1;

    public bool ShowHelp { get; init; }

    /// <summary>Parses <paramref name="args"/> (the command name excluded).</summary>
    /// <exception cref="ArgumentException">An unknown option or a bad value, named in the message.</exception>
    public static ExtProcProbeOptions Parse(IReadOnlyList<string> args)
    {
        var o = new ExtProcProbeOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "--help" or "-h")
                return o with { ShowHelp = true };
            if (i + 1 >= args.Count)
                throw new ArgumentException($"{name} needs a value (see --help)");
            var value = args[++i];
            o = name switch
            {
                "--decisions" => o with { Decisions = Positive(name, value) },
                "--warmup" => o with { Warmup = NonNegative(name, value) },
                "--warmup-seconds" => o with { WarmupSeconds = NonNegative(name, value) },
                "--prime-seconds" => o with { PrimeSeconds = NonNegative(name, value) },
                "--modes" => o with { Modes = ModesOf(value) },
                "--prompts" => o with { PromptKilobytes = List(name, value) },
                "--streams" => o with { Streams = List(name, value) },
                "--endpoints" => o with { Endpoints = Positive(name, value) },
                "--chunk-kb" => o with { ChunkKilobytes = Positive(name, value) },
                "--rounds" => o with { Rounds = Positive(name, value) },
                _ => throw new ArgumentException($"unknown option {name} (see --help)"),
            };
        }
        return o;
    }

    private static string[] ModesOf(string value)
    {
        var modes = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var m in modes)
        {
            if (Array.IndexOf(AllModes, m) < 0)
                throw new ArgumentException($"--modes: unknown mode '{m}' (one of {string.Join(", ", AllModes)})");
        }
        return modes.Length > 0 ? modes : throw new ArgumentException("--modes: give at least one mode");
    }

    private static int[] List(string name, string value)
    {
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
            throw new ArgumentException($"{name}: give at least one number");
        var list = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            list[i] = Positive(name, parts[i]);
        return list;
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name}: '{value}' is not a positive whole number");

    private static int NonNegative(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new ArgumentException($"{name}: '{value}' is not a whole number ≥ 0");
}
