using InferenceMesh.Bench.Policies;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Replay;

/// <summary>
/// A fleet of model servers in simulated time, as the replay drives it. Time only moves inside <see cref="AdvanceTo"/>.
/// Callbacks raised there only record; the replay submits follow-up work from its own event queue, so an engine
/// need not accept re-entrant calls.
/// </summary>
public interface IFleetEngine
{
    /// <summary>Server count.</summary>
    int Count { get; }

    /// <summary>Server addresses ("ip:port"), index order.</summary>
    IReadOnlyList<string> Addresses { get; }

    /// <summary>Simulated now, ms.</summary>
    double NowMs { get; }

    /// <summary>Time of the engine's next internal event; +∞ when idle.</summary>
    double NextEventMs { get; }

    /// <summary>Processes every engine event up to and including <paramref name="timeMs"/> and leaves the clock there.</summary>
    void AdvanceTo(double timeMs);

    /// <summary>Sends a request to server <paramref name="server"/> now.</summary>
    void Submit(int server, EngineRequest request);

    /// <summary>The server's /metrics as a scrape would read them now.</summary>
    EndpointMetrics Scrape(int server);

    /// <summary>The server's own counters (prefix cache in tokens, preemptions).</summary>
    ServerCounters Counters(int server);

    /// <summary>True state for the oracle policy.</summary>
    IFleetOracle Oracle { get; }
}

/// <summary>A request as the engine receives it.</summary>
/// <param name="Id">Replay-wide id.</param>
/// <param name="Routing">The routing view of the request (model, hashes, lengths).</param>
/// <param name="Tokens">Prompt tokens (deterministic stand-ins).</param>
/// <param name="OnFirstToken">Called at the first output token's time.</param>
/// <param name="OnCompleted">Called when the response ends: status, output tokens, cached prompt tokens.</param>
public sealed record EngineRequest(
    int Id,
    RoutingRequest Routing,
    int[] Tokens,
    Action<double> OnFirstToken,
    Action<double, int, int, int> OnCompleted);

/// <summary>Counters a server exposes.</summary>
/// <param name="PrefixQueriesTokens">vllm:prefix_cache_queries_total.</param>
/// <param name="PrefixHitsTokens">vllm:prefix_cache_hits_total.</param>
/// <param name="KvUsage">vllm:kv_cache_usage_perc now.</param>
/// <param name="Preemptions">vllm:num_preemptions_total.</param>
public readonly record struct ServerCounters(long PrefixQueriesTokens, long PrefixHitsTokens, double KvUsage, long Preemptions);
