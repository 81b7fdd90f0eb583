namespace InferenceMesh.Bench.Policies;

/// <summary>
/// A routing policy under test. The replay calls <see cref="Pick"/> once per request when it arrives (and again on the
/// next scrape or completion if it answered <see cref="Picks.Defer"/>), then <see cref="OnDispatched"/> and, when the
/// response ends, <see cref="OnCompleted"/>. Calls are sequential on one thread in simulated time.
/// </summary>
public interface IRoutingPolicy
{
    /// <summary>Name as listed by <c>bench policies</c>.</summary>
    string Name { get; }

    /// <summary>An endpoint index in [0, fleet.Count), or <see cref="Picks.Reject"/> (answered 429),
    /// <see cref="Picks.Unavailable"/> (answered 503) or <see cref="Picks.Defer"/> (hold in the picker's queue).</summary>
    int Pick(RoutingRequest request, FleetView fleet);

    /// <summary>The request was sent to <paramref name="endpoint"/>.</summary>
    void OnDispatched(RoutingRequest request, int endpoint, FleetView fleet);

    /// <summary>The response ended (or failed with a non-200 status).</summary>
    void OnCompleted(RoutingRequest request, int endpoint, RequestOutcome outcome);
}

/// <summary>Special answers of <see cref="IRoutingPolicy.Pick"/>.</summary>
public static class Picks
{
    /// <summary>Refuse the request now; it counts as a 429 error.</summary>
    public const int Reject = -1;

    /// <summary>The HTTP status a refusal answer stands for, or 0 for an endpoint or <see cref="Defer"/>.</summary>
    public static int StatusOf(int pick) => pick switch
    {
        Reject => 429,
        Unavailable => 503,
        _ => 0,
    };

    /// <summary>Refuse the request as the picker does when it cannot serve it at all (queue TTL expired, no candidate):
    /// it counts as a 503 error.</summary>
    public const int Unavailable = -3;

    /// <summary>Keep the request queued in the picker; ask again on the next metrics scrape or completion.</summary>
    public const int Defer = -2;
}

/// <summary>Marks a policy allowed to read the simulator's true state through <see cref="FleetView.Oracle"/> (perfect-information policies, for comparison only: no real picker can see it).</summary>
public interface IOraclePolicy : IRoutingPolicy
{
}

/// <summary>How a request ended.</summary>
/// <param name="StatusCode">200, or the error status.</param>
/// <param name="TtftMs">Time to first token (ms, simulated), from arrival at the picker.</param>
/// <param name="E2eMs">End-to-end latency (ms, simulated), from arrival at the picker.</param>
/// <param name="OutputTokens">Tokens generated.</param>
/// <param name="CachedTokens">Prompt tokens served from the server's prefix cache.</param>
public sealed record RequestOutcome(int StatusCode, double TtftMs, double E2eMs, int OutputTokens, int CachedTokens);

/// <summary>The simulator's true state, for perfect-information policies only.</summary>
public interface IFleetOracle
{
    /// <summary>Prompt tokens of <paramref name="request"/> that endpoint <paramref name="endpoint"/> would serve from its prefix cache right now.</summary>
    int CachedTokens(int endpoint, RoutingRequest request);

    /// <summary>Predicted time to first token on <paramref name="endpoint"/> from its true queue, batch and cache.</summary>
    double PredictTtftMs(int endpoint, RoutingRequest request);
}
