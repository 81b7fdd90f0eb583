namespace InferenceMesh.Bench.Policies;

/// <summary>
/// Envoy's LEAST_REQUEST: with equal weights it samples <c>choice_count</c> (default 2) endpoints at random and takes
/// the one with fewer active requests as the proxy itself counts them; <c>choices: 0</c> scans every endpoint instead.
/// </summary>
internal sealed class LeastRequestPolicy(int seed, int choices) : IRoutingPolicy
{
    private readonly Random random = new(seed);

    public string Name => choices == 0 ? "least-request-scan" : "least-request";

    public int Pick(RoutingRequest request, FleetView fleet)
    {
        var outstanding = fleet.OutstandingArray;
        var n = outstanding.Length;
        if (choices > 0)
        {
            var best = random.Next(n);
            for (var c = 1; c < choices; c++)
            {
                var other = random.Next(n);
                if (outstanding[other] < outstanding[best])
                {
                    best = other;
                }
            }

            return best;
        }

        // Full scan with a random tie-break, so ties do not all land on endpoint 0.
        var min = int.MaxValue;
        var chosen = 0;
        var ties = 0;
        for (var i = 0; i < n; i++)
        {
            if (outstanding[i] < min)
            {
                min = outstanding[i];
                chosen = i;
                ties = 1;
            }
            else if (outstanding[i] == min && random.Next(++ties) == 0)
            {
                chosen = i;
            }
        }

        return chosen;
    }

    public void OnDispatched(RoutingRequest request, int endpoint, FleetView fleet)
    {
    }

    public void OnCompleted(RoutingRequest request, int endpoint, RequestOutcome outcome)
    {
    }
}
