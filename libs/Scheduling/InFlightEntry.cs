namespace InferenceMesh.Scheduling;

/// <summary>A dispatch of this replica waiting for its completion.</summary>
internal sealed class InFlightEntry(PoolRuntime pool, EndpointState endpoint, long dispatchedAtMs, double prefillMs = 0, PrefixPromise promise = default,
    PrefixPromise placed = default)
{
    /// <summary>In a placement-aware pool, the prompt's blocks this dispatch placed (<see cref="PrefixPromise.TotalBlocks"/>)
    /// and those the pick credited as cached: announced with the dispatch so the other replicas record the placement.</summary>
    public readonly PrefixPromise Placed = placed;

    /// <summary>What the approximate index promised the endpoint holds of the prompt (no promise for precise pools or
    /// without a match); compared with the server's reported cache hit at the completion.</summary>
    public readonly PrefixPromise Promise = promise;

    /// <summary>Predicted prefill time on the endpoint, announced to the other replicas with the dispatch.</summary>
    public readonly double PrefillMs = prefillMs;

    public readonly PoolRuntime Pool = pool;
    public readonly EndpointState Endpoint = endpoint;
    public readonly long DispatchedAtMs = dispatchedAtMs;
}
