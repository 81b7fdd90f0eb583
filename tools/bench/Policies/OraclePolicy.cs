namespace InferenceMesh.Bench.Policies;

/// <summary>Upper bound: asks the simulator for each endpoint's predicted TTFT from its true cache and queue and takes the minimum.</summary>
internal sealed class OraclePolicy(int seed) : IOraclePolicy
{
    private readonly Random random = new(seed);

    public string Name => "oracle";

    public int Pick(RoutingRequest request, FleetView fleet)
    {
        var oracle = fleet.Oracle ?? throw new InvalidOperationException("the oracle policy needs the simulator's true state");
        var best = 0;
        var bestTtft = double.MaxValue;
        var ties = 0;
        for (var i = 0; i < fleet.Count; i++)
        {
            var t = oracle.PredictTtftMs(i, request);
            if (t < bestTtft - 1e-9)
            {
                bestTtft = t;
                best = i;
                ties = 1;
            }
            else if (Math.Abs(t - bestTtft) <= 1e-9 && random.Next(++ties) == 0)
            {
                best = i;
            }
        }

        return best;
    }

    public void OnDispatched(RoutingRequest request, int endpoint, FleetView fleet)
    {
    }

    public void OnCompleted(RoutingRequest request, int endpoint, RequestOutcome outcome)
    {
    }
}
