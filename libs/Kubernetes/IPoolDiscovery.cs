namespace InferenceMesh.Kubernetes;

/// <summary>A source of pools, models and endpoints that changes over time (Kubernetes watch or the local pool file).</summary>
public interface IPoolDiscovery
{
    /// <summary>The latest view; never null.</summary>
    PoolView Current { get; }

    /// <summary>Raised after <see cref="Current"/> changed.</summary>
    event Action<PoolView>? Changed;

    /// <summary>Runs discovery until cancelled.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}
