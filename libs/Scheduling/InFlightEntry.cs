namespace InferenceMesh.Scheduling;

/// <summary>A dispatch of this replica waiting for its completion.</summary>
internal sealed class InFlightEntry(PoolRuntime pool, EndpointState endpoint, long dispatchedAtMs)
{
    public readonly PoolRuntime Pool = pool;
    public readonly EndpointState Endpoint = endpoint;
    public readonly long DispatchedAtMs = dispatchedAtMs;
}
