namespace InferenceMesh.Bench.Policies;

internal sealed class RoundRobinPolicy : IRoutingPolicy
{
    private int next;

    public string Name => "round-robin";

    public int Pick(RoutingRequest request, FleetView fleet)
    {
        var i = next % fleet.Count;
        next = i + 1;
        return i;
    }

    public void OnDispatched(RoutingRequest request, int endpoint, FleetView fleet)
    {
    }

    public void OnCompleted(RoutingRequest request, int endpoint, RequestOutcome outcome)
    {
    }
}
