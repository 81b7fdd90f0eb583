using System.Runtime.CompilerServices;

namespace InferenceMesh.Bench.Policies;

/// <summary>
/// Perfect-information policies besides the greedy one, and the name of their per-scenario best
/// (<see cref="BestOf"/>, run by the replay: docs/bench.md "An honest bound"). Each reads the simulator's true caches and
/// queues; none is realisable by a real picker.
/// </summary>
internal static class PerfectInfoPolicies
{
    /// <summary>Minimum of predicted TTFT + P × uncached prefill, P = the fewest requests waiting on any server.</summary>
    public const string LeastWork = "perfect-info-least-work";

    /// <summary>Most cached prompt tokens, ties by predicted TTFT.</summary>
    public const string MaxHit = "perfect-info-max-hit";

    /// <summary>The replay runs every member and keeps the best (fewest errors, then lowest p90 TTFT).</summary>
    public const string BestOf = "best-of-perfect-info";

    /// <summary>What <see cref="BestOf"/> chooses among.</summary>
    public static IReadOnlyList<string> Members { get; } = [GreedyPerfectInfoPolicy.PolicyName, LeastWork, MaxHit];

    /// <summary>Prefill cost per uncached token used to weigh work against time (the a10/l20 profiles' β).</summary>
    private const double PrefillMsPerToken = 0.17;

#pragma warning disable CA2255 // The bench is an executable; registering at load keeps PolicyRegistry's table short.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        PolicyRegistry.Register(LeastWork, "perfect information: minimum of true predicted TTFT + P x uncached prefill (P = fewest requests waiting on any server): a cache hit is capacity under load (virtual mode only)",
            c => new PerfectInfoPolicy(LeastWork, c.Seed, (o, f, r, i) => o.PredictTtftMs(i, r) + (FewestWaiting(f) * PrefillMsPerToken * (r.PromptTokens - o.CachedTokens(i, r)))));
        PolicyRegistry.Register(MaxHit, "perfect information: the server holding most of the prompt in its true cache, ties by predicted TTFT (virtual mode only)",
            c => new PerfectInfoPolicy(MaxHit, c.Seed, (o, _, r, i) => (-1e9 * o.CachedTokens(i, r)) + o.PredictTtftMs(i, r)));
        PolicyRegistry.Register(BestOf, $"per scenario, the best of {string.Join(", ", Members)} (fewest errors, then lowest p90 TTFT); it bounds only its members, not what a picker can reach (virtual mode only)",
            _ => throw new InvalidOperationException($"{BestOf} is run by the virtual replay, one member at a time"));
    }

    private static int FewestWaiting(FleetView fleet)
    {
        var fewest = int.MaxValue;
        foreach (var m in fleet.Metrics)
            fewest = Math.Min(fewest, m.Waiting);
        return fewest == int.MaxValue ? 0 : fewest;
    }
}

/// <summary>A perfect-information policy: the endpoint of least <c>cost</c>, ties broken at random (seeded).</summary>
internal sealed class PerfectInfoPolicy(string name, int seed, Func<IFleetOracle, FleetView, RoutingRequest, int, double> cost) : IOraclePolicy
{
    private readonly Random random = new(seed);

    public string Name => name;

    public int Pick(RoutingRequest request, FleetView fleet)
    {
        var oracle = fleet.Oracle ?? throw new InvalidOperationException($"the {name} policy needs the simulator's true state");
        return ArgMin(fleet.Count, i => cost(oracle, fleet, request, i), random);
    }

    public void OnDispatched(RoutingRequest request, int endpoint, FleetView fleet)
    {
    }

    public void OnCompleted(RoutingRequest request, int endpoint, RequestOutcome outcome)
    {
    }

    /// <summary>The index of the least value, ties (within 1e-9) broken uniformly at random.</summary>
    public static int ArgMin(int count, Func<int, double> value, Random random)
    {
        var best = 0;
        var bestValue = double.MaxValue;
        var ties = 0;
        for (var i = 0; i < count; i++)
        {
            var v = value(i);
            if (v < bestValue - 1e-9)
            {
                bestValue = v;
                best = i;
                ties = 1;
            }
            else if (Math.Abs(v - bestValue) <= 1e-9 && random.Next(++ties) == 0)
            {
                best = i;
            }
        }

        return best;
    }
}
