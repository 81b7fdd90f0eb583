namespace InferenceMesh.Bench.Policies;

internal sealed class RandomPolicy(int seed) : IRoutingPolicy
{
    private readonly Random random = new(seed);

    public string Name => "random";

    public int Pick(RoutingRequest request, FleetView fleet) => random.Next(fleet.Count);

    public void OnDispatched(RoutingRequest request, int endpoint, FleetView fleet)
    {
    }

    public void OnCompleted(RoutingRequest request, int endpoint, RequestOutcome outcome)
    {
    }
}
