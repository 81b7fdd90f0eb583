namespace InferenceMesh.Scheduling;

/// <summary>Per-pool settings (<c>Scheduler:Pools:{pool}</c>); each value set here wins over the pool's annotations, an unset one
/// (null) leaves the annotation, then the global default, in charge.</summary>
public sealed record PoolOptions
{
    /// <summary>Routing strategy (<c>DEFAULT</c>, <c>PREFIX_CACHE</c>) or a profile name; null = <see cref="SchedulerOptions.DefaultProfile"/>.</summary>
    public string? RoutingStrategy { get; set; }

    /// <summary>Queueing switch for this pool; null = <see cref="SchedulerOptions.UseQueueing"/>.</summary>
    public bool? UseQueueing { get; set; }
}
