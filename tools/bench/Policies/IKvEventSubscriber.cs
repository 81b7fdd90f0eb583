using InferenceMesh.VllmSim;

namespace InferenceMesh.Bench.Policies;

/// <summary>A policy that follows the servers' KV-cache events (vLLM's <c>--kv-events-config</c>): the replay connects
/// each simulated server's event stream to <see cref="SinkFor"/>. Unlike <see cref="IOraclePolicy"/> this is information
/// a real picker has — the same events the prefix-index service consumes over ZMQ — not the simulator's hidden state.</summary>
public interface IKvEventSubscriber : IRoutingPolicy
{
    /// <summary>Where server <paramref name="endpoint"/>'s events go.</summary>
    IKvEventSink SinkFor(int endpoint);
}
