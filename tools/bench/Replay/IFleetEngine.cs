using InferenceMesh.Bench.Policies;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Replay;

/// <summary>
/// A fleet of model servers in simulated time, as the replay drives it. Time only moves inside <see cref="AdvanceTo"/>
/// and <see cref="RunNextEvent"/>. Completion callbacks only record; the replay submits follow-up work from its own
/// event queue, so an engine need not accept re-entrant calls.
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

    /// <summary>Processes every engine event strictly before <paramref name="timeMs"/> and sets the clock there, so work
    /// submitted next arrives at <paramref name="timeMs"/>.</summary>
    void AdvanceTo(double timeMs);

    /// <summary>Processes the single earliest engine event.</summary>
    void RunNextEvent();

    /// <summary>Sends a request to server <paramref name="server"/> now. A request the server refuses completes at once
    /// through its callback with the HTTP status (e.g. 400 for a prompt longer than max_model_len).</summary>
    void Submit(int server, EngineRequest request);

    /// <summary>The server's /metrics as a scrape would read them now.</summary>
    EndpointMetrics Scrape(int server);

    /// <summary>The server's own counters (prefix cache in tokens, preemptions).</summary>
    ServerCounters Counters(int server);

    /// <summary>True state for perfect-information policies.</summary>
    IFleetOracle Oracle { get; }
}

/// <summary>A request as the engine receives it.</summary>
/// <param name="Id">Replay-wide id.</param>
/// <param name="Routing">The routing view of the request (model, block hashes, lengths).</param>
/// <param name="OnCompleted">Called when the response ends.</param>
public sealed record EngineRequest(int Id, RoutingRequest Routing, Action<EngineCompletion> OnCompleted);

/// <summary>How the engine finished a request.</summary>
/// <param name="StatusCode">200 or the error status.</param>
/// <param name="FirstTokenMs">Simulated time of the first output token (NaN on error).</param>
/// <param name="FinishedMs">Simulated time the response ended.</param>
/// <param name="OutputTokens">Tokens generated.</param>
/// <param name="CachedTokens">Prompt tokens served from the prefix cache.</param>
public readonly record struct EngineCompletion(int StatusCode, double FirstTokenMs, double FinishedMs, int OutputTokens, int CachedTokens);

/// <summary>Counters a server exposes.</summary>
/// <param name="PrefixQueriesTokens">vllm:prefix_cache_queries_total.</param>
/// <param name="PrefixHitsTokens">vllm:prefix_cache_hits_total.</param>
/// <param name="KvUsage">vllm:kv_cache_usage_perc now.</param>
/// <param name="Preemptions">vllm:num_preemptions_total.</param>
public readonly record struct ServerCounters(long PrefixQueriesTokens, long PrefixHitsTokens, double KvUsage, long Preemptions);
