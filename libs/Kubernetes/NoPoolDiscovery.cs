namespace InferenceMesh.Kubernetes;

/// <summary>Discovery that finds nothing (<see cref="DiscoveryMode.None"/>): the view stays empty and never changes.</summary>
public sealed class NoPoolDiscovery : IPoolDiscovery
{
    /// <inheritdoc />
    public PoolView Current => PoolView.Empty;

    /// <inheritdoc />
    public event Action<PoolView>? Changed
    {
        add { }
        remove { }
    }

    /// <inheritdoc />
    public Task RunAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
