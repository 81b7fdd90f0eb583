namespace InferenceMesh.Bench.Policies;

/// <summary>
/// Greedy with perfect information: asks the simulator for each endpoint's predicted TTFT from its true cache, queue and
/// batch and takes the minimum for each request on its own. Not an upper bound: minimising every request's TTFT
/// greedily spreads prefixes, evicts more and can lose to a policy that keeps locality (docs/benchmarks/heterogeneous.md).
/// </summary>
internal sealed class GreedyPerfectInfoPolicy(int seed) : IOraclePolicy
{
    /// <summary>Registered name.</summary>
    public const string PolicyName = "greedy-perfect-info";

    /// <summary>The name it had when it was (wrongly) called an upper bound; still accepted, with a deprecation line.</summary>
    public const string DeprecatedName = "oracle";

    private readonly Random random = new(seed);

    public string Name => PolicyName;

    public int Pick(RoutingRequest request, FleetView fleet)
    {
        var oracle = fleet.Oracle ?? throw new InvalidOperationException("the greedy-perfect-info policy needs the simulator's true state");
        return PerfectInfoPolicy.ArgMin(fleet.Count, i => oracle.PredictTtftMs(i, request), random);
    }

    public void OnDispatched(RoutingRequest request, int endpoint, FleetView fleet)
    {
    }

    public void OnCompleted(RoutingRequest request, int endpoint, RequestOutcome outcome)
    {
    }
}
