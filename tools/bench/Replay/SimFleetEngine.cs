using System.Globalization;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Contracts;
using InferenceMesh.VllmSim;

namespace InferenceMesh.Bench.Replay;

/// <summary>The in-process simulated vLLM fleet (tools/vllm-sim) behind <see cref="IFleetEngine"/>: virtual time, no sockets.</summary>
internal sealed partial class SimFleetEngine : IFleetEngine, IFleetOracle
{
    private readonly SimFleet fleet;
    private readonly string[] addresses;
    private readonly Dictionary<string, EngineRequest> inFlight = new(StringComparer.Ordinal);
    private RoutingRequest? promptOf;
    private SimPrompt? prompt;

    public SimFleetEngine(SimFleet fleet, int firstPort = 8000)
    {
        this.fleet = fleet;
        addresses = new string[fleet.Servers.Count];
        for (var i = 0; i < addresses.Length; i++)
        {
            addresses[i] = "127.0.0.1:" + (firstPort + i).ToString(CultureInfo.InvariantCulture);
        }

        fleet.RequestFinished = OnFinished;
    }

    public int Count => addresses.Length;

    public IReadOnlyList<string> Addresses => addresses;

    public double NowMs => fleet.NowMs;

    public double NextEventMs => Math.Min(fleet.NextEventMs, NextResetMs);

    public IFleetOracle Oracle => this;

    /// <summary>Builds the fleet a <see cref="FleetSpec"/> describes, every server on <paramref name="profile"/>.</summary>
    public static SimFleetEngine Create(FleetSpec spec, SimProfile profile)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Create(spec, FleetLayout.Uniform(profile, spec.Servers));
    }

    /// <summary>Builds the fleet of <paramref name="layout"/> (its servers, in order) with the model and adapters of <paramref name="spec"/>.</summary>
    public static SimFleetEngine Create(FleetSpec spec, FleetLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var options = new SimServerOptions[layout.Servers.Count];
        for (var i = 0; i < options.Length; i++)
        {
            options[i] = layout.ServerOptions(i, spec);
        }

        return new SimFleetEngine(new SimFleet(options));
    }

    /// <summary>Connects every server's KV-event stream to <paramref name="subscriber"/>.</summary>
    public void AttachKvEvents(IKvEventSubscriber subscriber)
    {
        for (var i = 0; i < fleet.Servers.Count; i++)
            fleet.Servers[i].KvEvents = subscriber.SinkFor(i);
    }

    public void AdvanceTo(double timeMs) => AdvanceWithResets(timeMs);

    public void RunNextEvent() => RunNextWithResets();

    public void Submit(int server, EngineRequest request)
    {
        var r = request.Routing;
        var sim = new SimRequest(r.RequestId, PromptOf(r), Math.Max(1, r.MaxOutputTokens), r.Model);
        var s = fleet.Servers[server];
        if (s.Validate(sim) is not null)
        {
            // vLLM answers 400 for a request that cannot fit (max_model_len, unknown adapter, KV capacity).
            request.OnCompleted(new EngineCompletion(400, double.NaN, fleet.NowMs, 0, 0));
            return;
        }

        inFlight[r.RequestId] = request;
        s.Submit(sim);
    }

    public EndpointMetrics Scrape(int server)
    {
        var s = fleet.Servers[server];
        return new EndpointMetrics(
            addresses[server],
            s.NumWaiting,
            s.NumRunning,
            s.KvUsage,
            s.RunningLoraAdapters(),
            s.WaitingLoraAdapters(),
            s.Options.LoraModules.Count == 0 ? 0 : s.Options.MaxLoras,
            s.Profile.BlockSize,
            s.NumGpuBlocks,
            (long)fleet.NowMs,
            EndpointHealth.Healthy);
    }

    public ServerCounters Counters(int server)
    {
        var s = fleet.Servers[server];
        return new ServerCounters(s.PrefixCacheQueries, s.PrefixCacheHits, s.KvUsage, s.Preemptions);
    }

    /// <summary>Cached KV blocks server <paramref name="server"/> evicted so far.</summary>
    public long Evictions(int server) => fleet.Servers[server].Evictions;

    public int CachedTokens(int endpoint, RoutingRequest request) =>
        fleet.Servers[endpoint].CachedPrefixTokens(PromptOf(request), NullIfEmpty(request.Model));

    public double PredictTtftMs(int endpoint, RoutingRequest request)
    {
        var s = fleet.Servers[endpoint];
        var t = s.PredictTtftMs(PromptOf(request), NullIfEmpty(request.Model));

        // An adapter that is not loaded costs a load before the first step.
        if (!string.IsNullOrEmpty(request.Model) && !s.LoadedLoraAdapters.Contains(request.Model))
        {
            t += s.Profile.LoraLoadMs;
        }

        return t;
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private SimPrompt PromptOf(RoutingRequest r)
    {
        // A perfect-information policy asks about one request for every endpoint in a row: build its prompt once.
        if (!ReferenceEquals(promptOf, r))
        {
            var hashes = r.BlockHashes as ulong[] ?? [.. r.BlockHashes];
            prompt = new SimPrompt(r.PromptTokens, hashes);
            promptOf = r;
        }

        return prompt!;
    }

    private void OnFinished(SimRequest r)
    {
        if (inFlight.Remove(r.Id, out var request))
        {
            request.OnCompleted(new EngineCompletion(200, r.FirstTokenMs, r.FinishedMs, r.GeneratedTokens, r.CachedTokens));
        }
    }
}
