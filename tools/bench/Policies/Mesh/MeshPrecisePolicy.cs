using InferenceMesh.Scheduling;
using InferenceMesh.VllmSim;

namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>A mesh policy whose prefix matches come from the servers' KV events (<see cref="ExactKvIndex"/>).</summary>
internal sealed class MeshPrecisePolicy : IKvEventSubscriber, IDisposable
{
    private readonly MeshPolicy _inner;
    private readonly ExactKvIndex _index;

    public MeshPrecisePolicy(string name, PolicyContext context, SchedulerOptions options, string profile, int maxBlocks, bool speculative = true)
    {
        // One exact index for every replica of a run: the engines' events are the same truth for all (the sets in Redis).
        _index = context.Replica is { } r
            ? r.Shared("mesh-exact-index-" + speculative, () => new ExactKvIndex(context.Endpoints.Count, maxBlocks, context.TimeProvider, speculative))
            : new ExactKvIndex(context.Endpoints.Count, maxBlocks, context.TimeProvider, speculative);
        _inner = new MeshPolicy(name, context, options, profile, _index);
    }

    public string Name => _inner.Name;

    public IKvEventSink SinkFor(int endpoint) => _index.SinkFor(endpoint);

    public int Pick(RoutingRequest request, FleetView fleet) => _inner.Pick(request, fleet);

    public void OnDispatched(RoutingRequest request, int endpoint, FleetView fleet) => _inner.OnDispatched(request, endpoint, fleet);

    public void OnCompleted(RoutingRequest request, int endpoint, RequestOutcome outcome) => _inner.OnCompleted(request, endpoint, outcome);

    public void Dispose() => _inner.Dispose();
}
