using System.CommandLine;
using System.Globalization;
using InferenceMesh.VllmSim.Http;

namespace InferenceMesh.VllmSim.Cli;

/// <summary>The <c>vllm-sim</c> command line: vLLM-like flags plus the simulator's physics parameters.</summary>
public static class SimCli
{
    private static readonly Option<int> Servers = new("--servers") { Description = "Number of independent simulated servers, on consecutive ports", DefaultValueFactory = _ => 1 };
    private static readonly Option<int> Port = new("--port") { Description = "Port of the first server (0: ephemeral ports)", DefaultValueFactory = _ => 8000 };
    private static readonly Option<string> Host = new("--host") { Description = "Address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
    private static readonly Option<string> Profile = new("--profile") { Description = "Performance profile: a10, l20 or h100 (Qwen2.5-7B)", DefaultValueFactory = _ => "l20" };
    private static readonly Option<double> TimeScale = new("--time-scale") { Description = "Simulated time runs k times faster than wall time", DefaultValueFactory = _ => 1.0 };
    private static readonly Option<string> Model = new("--model", "--served-model-name") { Description = "Served model name", DefaultValueFactory = _ => "Qwen/Qwen2.5-7B-Instruct" };
    private static readonly Option<string[]> LoraModules = new("--lora-modules") { Description = "LoRA adapters as name=path", AllowMultipleArgumentsPerToken = true };
    private static readonly Option<int> MaxLoras = new("--max-loras") { Description = "LoRA adapters active in one batch", DefaultValueFactory = _ => 1 };
    private static readonly Option<int?> MaxNumSeqs = new("--max-num-seqs") { Description = "Most requests running at once (profile default)" };
    private static readonly Option<int?> MaxNumBatchedTokens = new("--max-num-batched-tokens") { Description = "Token budget per step (profile default)" };
    private static readonly Option<int?> NumGpuBlocks = new("--num-gpu-blocks", "--num-gpu-blocks-override") { Description = "KV capacity in 16-token blocks (profile default)" };
    private static readonly Option<int?> MaxModelLen = new("--max-model-len") { Description = "Longest prompt + output (default 32768)" };
    private static readonly Option<double?> PrefillMs = new("--prefill-ms-per-token") { Description = "β: prefill ms per uncached token" };
    private static readonly Option<double?> AttentionMs = new("--attention-ms-per-token-pair") { Description = "c: attention ms per causal (query, key) token pair" };
    private static readonly Option<double?> StepBaseMs = new("--step-base-ms") { Description = "T_w: fixed ms per step" };
    private static readonly Option<double?> ContextMs = new("--context-ms-per-token") { Description = "b: ms per context token in the batch, per step" };
    private static readonly Option<double?> CpuMs = new("--cpu-overhead-ms") { Description = "τ_cpu: scheduling ms per step" };
    private static readonly Option<double?> NewRequestMs = new("--new-request-overhead-ms") { Description = "α: extra ms for a step that starts a request" };
    private static readonly Option<int?> KneeTokens = new("--knee-tokens") { Description = "Tokens a step absorbs within T_w (default T_w/β)" };
    private static readonly Option<double?> LoraLoadMs = new("--lora-load-ms") { Description = "ms to load a LoRA adapter into a slot" };
    private static readonly Option<int> KvEventsPortOffset = new("--kv-events-port-offset") { Description = "Publish vLLM KV-cache events (ZMQ PUB on HTTP port + K, replay ROUTER on HTTP port + 2K); 0: off", DefaultValueFactory = _ => 0 };
    private static readonly Option<string> KvEventsTopic = new("--kv-events-topic") { Description = "Topic of the KV-event messages", DefaultValueFactory = _ => "kv-events" };
    private static readonly Option<int> DefaultMaxTokens = new("--default-max-tokens") { Description = "Output tokens of a chat completion without max_tokens", DefaultValueFactory = _ => 256 };

    /// <summary>The root command; its action serves the fleet until Ctrl+C.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("Simulated vLLM fleet: OpenAI-compatible API and vLLM metrics over a discrete-event model of continuous batching, paged KV and prefix caching.");
        foreach (var o in new Option[] { Servers, Port, Host, Profile, TimeScale, Model, LoraModules, MaxLoras, MaxNumSeqs, MaxNumBatchedTokens, NumGpuBlocks, MaxModelLen, PrefillMs, AttentionMs, StepBaseMs, ContextMs, CpuMs, NewRequestMs, KneeTokens, LoraLoadMs, DefaultMaxTokens, KvEventsPortOffset, KvEventsTopic })
            root.Options.Add(o);
        root.SetAction(RunAsync);
        return root;
    }

    /// <summary>Reads the parsed command line into host options (throws <see cref="ArgumentException"/> naming a bad value).</summary>
    public static SimHostOptions ToHostOptions(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return Build(parse.GetValue, parse.GetValue, parse.GetValue, parse.GetValue, parse.GetValue, parse.GetValue);
    }

    private static SimHostOptions Build(
        Func<Option<int>, int> i, Func<Option<string>, string?> s, Func<Option<double>, double> d, Func<Option<string[]>, string[]?> a,
        Func<Option<int?>, int?> ni, Func<Option<double?>, double?> nd)
    {
        var p = SimProfile.Get(s(Profile) ?? "l20");
        p = p with
        {
            MaxNumSeqs = ni(MaxNumSeqs) ?? p.MaxNumSeqs,
            MaxNumBatchedTokens = ni(MaxNumBatchedTokens) ?? p.MaxNumBatchedTokens,
            NumGpuBlocks = ni(NumGpuBlocks) ?? p.NumGpuBlocks,
            MaxModelLen = ni(MaxModelLen) ?? p.MaxModelLen,
            PrefillMsPerToken = nd(PrefillMs) ?? p.PrefillMsPerToken,
            AttentionMsPerTokenPair = nd(AttentionMs) ?? p.AttentionMsPerTokenPair,
            StepBaseMs = nd(StepBaseMs) ?? p.StepBaseMs,
            ContextMsPerToken = nd(ContextMs) ?? p.ContextMsPerToken,
            CpuOverheadMs = nd(CpuMs) ?? p.CpuOverheadMs,
            NewRequestOverheadMs = nd(NewRequestMs) ?? p.NewRequestOverheadMs,
            KneeTokens = ni(KneeTokens) ?? p.KneeTokens,
            LoraLoadMs = nd(LoraLoadMs) ?? p.LoraLoadMs,
        };
        var options = new SimHostOptions
        {
            Servers = i(Servers),
            Port = i(Port),
            Host = s(Host) ?? "127.0.0.1",
            TimeScale = d(TimeScale),
            DefaultChatMaxTokens = i(DefaultMaxTokens),
            KvEventsPortOffset = i(KvEventsPortOffset),
            KvEventsTopic = s(KvEventsTopic) ?? "kv-events",
            Server = new SimServerOptions
            {
                ModelName = s(Model) ?? "Qwen/Qwen2.5-7B-Instruct",
                Profile = p,
                LoraModules = ParseLoraModules(a(LoraModules) ?? []),
                MaxLoras = i(MaxLoras),
            },
        };
        options.Validate();
        return options;
    }

    /// <summary>Parses <c>name=path</c> pairs (vLLM's <c>--lora-modules</c> syntax).</summary>
    public static IReadOnlyList<LoraModule> ParseLoraModules(IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var modules = new List<LoraModule>(values.Count);
        foreach (var v in values)
        {
            var eq = v.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == v.Length - 1)
                throw new ArgumentException($"--lora-modules expects name=path, got '{v}'");
            var name = v[..eq];
            foreach (var m in modules)
            {
                if (m.Name == name)
                    throw new ArgumentException($"--lora-modules lists '{name}' twice");
            }
            modules.Add(new LoraModule(name, v[(eq + 1)..]));
        }
        return modules;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken ct)
    {
        SimHostOptions options;
        try
        {
            options = ToHostOptions(parse);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync("vllm-sim: " + e.Message).ConfigureAwait(false);
            return 2;
        }
        await using var host = await SimFleetHost.StartAsync(options, ct: ct).ConfigureAwait(false);
        var p = options.Server.Profile;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"vllm-sim: {options.Servers} server(s) of {options.Server.ModelName}, profile {p.Name} ({p.NumGpuBlocks} KV blocks, max_num_seqs {p.MaxNumSeqs}), time scale {options.TimeScale}"));
        foreach (var a in host.BaseAddresses)
            Console.WriteLine($"  {a}");
        try
        {
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }
}
