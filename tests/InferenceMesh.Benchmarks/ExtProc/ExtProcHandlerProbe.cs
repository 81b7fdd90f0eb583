using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using InferenceMesh.ExtProc;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using Microsoft.Extensions.DependencyInjection;

namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary><c>probe-extproc-handler</c>: the ext_proc handlers without the transport. The real
/// <see cref="ExternalProcessorService"/> (resolved from a started ext-proc host, so metrics go to the host's OpenTelemetry
/// pipeline as in the service) and the pass-through server's handler each run one decision after another on one thread,
/// over in-memory streams that complete at once: the messages are the probe client's, every answer is serialized as
/// gRPC would. What is left is each handler's own work per decision — CPU and allocation — free of the socket,
/// HTTP/2, thread-pool wake-ups and other processes' load that make <c>probe-extproc</c>'s figures move.</summary>
public static class ExtProcHandlerProbe
{
    public const string Help = """
        probe-extproc-handler: CPU and allocation per decision of the ext_proc handlers alone (no gRPC transport).

        Each mode's handler runs decisions back to back on one thread over in-memory streams (request headers, the
        body in 16 KB chunks, end_of_stream; every answer serialized). Modes as in probe-extproc: pass-through (the
        pass-through server's handler), instant (ext-proc with a scheduler that answers at once), in-process (ext-proc
        with the real SchedulingService). The modes are interleaved round by round. One ext-proc mode per run: two
        ext-proc hosts in one process would each aggregate the other's instruments (OpenTelemetry listens by meter name).

        Options:
          --decisions N   decisions per mode and round (default 20000)
          --rounds N      rounds (default 5)
          --prompt-kb N   prompt size in KB (default 8)
          --mode M        the ext-proc mode beside pass-through: in-process (default) or instant
          --help          this text
        """;


    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(progress);
        int decisions = 20_000, rounds = 5, promptKb = 8;
        string[] modes = [ExtProcProbeOptions.PassThrough, ExtProcProbeOptions.InProcess];
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "--help" or "-h")
            {
                await output.WriteLineAsync(Help).ConfigureAwait(false);
                return 0;
            }
            if (args[i] == "--mode" && i + 1 < args.Count && args[i + 1] is ExtProcProbeOptions.InProcess or ExtProcProbeOptions.Instant)
            {
                modes[1] = args[++i];
                continue;
            }
            if (i + 1 >= args.Count || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            {
                await progress.WriteLineAsync($"probe-extproc-handler: {args[i]} needs a positive whole number (see --help)").ConfigureAwait(false);
                return 2;
            }
            switch (args[i++])
            {
                case "--decisions": decisions = n; break;
                case "--rounds": rounds = n; break;
                case "--prompt-kb": promptKb = n; break;
                default:
                    await progress.WriteLineAsync($"probe-extproc-handler: unknown option {args[i - 1]} (see --help)").ConfigureAwait(false);
                    return 2;
            }
        }

        var body = ExtProcDecisionBenchmarks.Prompt(promptKb * 1024);
        var chunks = ExtProcProbeClient.BodyChunks(body, 16 * 1024);
        var handlers = new Func<InMemoryCall, Task>[modes.Length];
        var targets = new List<ExtProcProbeTarget>();
        try
        {
            for (var m = 0; m < modes.Length; m++)
            {
                if (modes[m] == ExtProcProbeOptions.PassThrough)
                {
                    var passThrough = new PassThroughProcessor();
                    handlers[m] = call => passThrough.Process(call, call, call.Context);
                    continue;
                }
                var target = await ExtProcProbeTarget.StartAsync(modes[m], 8).ConfigureAwait(false);
                targets.Add(target);
                var service = target.ExtProcServices!.GetRequiredService<ExternalProcessorService>();
                handlers[m] = call => service.Process(call, call, call.Context);
            }

            var call = new InMemoryCall(chunks, body.Length);
            // Warm-up: tiered JIT promotes the hot paths (several seconds of calls, as in probe-extproc's priming).
            var warm = Stopwatch.StartNew();
            while (warm.Elapsed < TimeSpan.FromSeconds(4))
            {
                foreach (var h in handlers)
                    await RunAsync(h, call, 500).ConfigureAwait(false);
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"probe-extproc-handler, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {promptKb} KB prompt, {decisions} decisions per mode and round, {rounds} rounds")).ConfigureAwait(false);
            await output.WriteLineAsync().ConfigureAwait(false);
            await output.WriteLineAsync("| round | mode | CPU µs / decision | wall µs / decision | bytes allocated / decision | JIT methods |").ConfigureAwait(false);
            await output.WriteLineAsync("|---|---|---|---|---|---|").ConfigureAwait(false);
            for (var r = 0; r < rounds; r++)
            {
                for (var k = 0; k < modes.Length; k++)
                {
                    var m = (r + k) % modes.Length;
                    var (cpu, wall, bytes, jit) = await MeasureAsync(handlers[m], call, decisions).ConfigureAwait(false);
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"| {r + 1} | {modes[m]} | {cpu:0.0} | {wall:0.0} | {bytes:#,0} | {jit} |")).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach (var t in targets)
                await t.DisposeAsync().ConfigureAwait(false);
        }
        return 0;
    }

    private static async Task<(double Cpu, double Wall, double Bytes, long Jit)> MeasureAsync(Func<InMemoryCall, Task> handler, InMemoryCall call, int decisions)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var self = Process.GetCurrentProcess();
        var jit = System.Runtime.JitInfo.GetCompiledMethodCount();
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = self.TotalProcessorTime;
        var wall = Stopwatch.GetTimestamp();
        await RunAsync(handler, call, decisions).ConfigureAwait(false);
        var wallMicros = Stopwatch.GetElapsedTime(wall).TotalMicroseconds / decisions;
        self.Refresh();
        var cpuMicros = (self.TotalProcessorTime - cpu).TotalMicroseconds / decisions;
        return (cpuMicros, wallMicros, (double)(GC.GetTotalAllocatedBytes(precise: true) - bytes) / decisions,
            System.Runtime.JitInfo.GetCompiledMethodCount() - jit);
    }

    private static async Task RunAsync(Func<InMemoryCall, Task> handler, InMemoryCall call, int decisions)
    {
        for (var i = 0; i < decisions; i++)
        {
            call.Reset(i);
            await handler(call).ConfigureAwait(false);
            if (call.Answers < 2)
                throw new InvalidOperationException("the handler sent no decision");
        }
    }

    /// <summary>One decision's streams: the probe client's messages in, every answer serialized into a reused buffer.</summary>
    internal sealed class InMemoryCall : IAsyncStreamReader<ProcessingRequest>, IServerStreamWriter<ProcessingResponse>
    {
        private static readonly Task<bool> More = Task.FromResult(true);
        private static readonly Task<bool> End = Task.FromResult(false);
        private readonly ProcessingRequest[] _body;
        private readonly int _bodyBytes;
        private readonly byte[] _out = new byte[1 << 20];
        private ProcessingRequest _headers = new();
        private int _next;

        public InMemoryCall(ProcessingRequest[] body, int bodyBytes)
        {
            _body = body;
            _bodyBytes = bodyBytes;
            Context = new InMemoryContext();
        }

        public ServerCallContext Context { get; }

        public int Answers { get; private set; }

        public ProcessingRequest Current { get; private set; } = new();

        public WriteOptions? WriteOptions { get; set; }

        public void Reset(long id)
        {
            _headers = ExtProcProbeClient.HeadersMessage(id, _bodyBytes);
            _next = 0;
            Answers = 0;
        }

        public Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (_next > _body.Length)
                return End;
            Current = _next == 0 ? _headers : _body[_next - 1];
            _next++;
            return More;
        }

        public Task WriteAsync(ProcessingResponse message)
        {
            // What Grpc.AspNetCore does with an answer: size it and serialize it.
            message.WriteTo(_out.AsSpan(0, message.CalculateSize()));
            Answers++;
            return Task.CompletedTask;
        }
    }

    private sealed class InMemoryContext : ServerCallContext
    {
        protected override string MethodCore => "/envoy.service.ext_proc.v3.ExternalProcessor/Process";

        protected override string HostCore => "probe";

        protected override string PeerCore => "ipv4:127.0.0.1:1";

        protected override DateTime DeadlineCore => DateTime.MaxValue;

        protected override Metadata RequestHeadersCore { get; } = [];

        protected override CancellationToken CancellationTokenCore => CancellationToken.None;

        protected override Metadata ResponseTrailersCore { get; } = [];

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore { get; } = new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
