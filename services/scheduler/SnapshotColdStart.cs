using System.Text.Json;
using Dapr.Client;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Kubernetes;
using InferenceMesh.Scheduling;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Scheduler;

/// <summary>At start, loads the latest snapshot (<c>snapshot/{pool}</c>) of each pool named under <c>Scheduler:Pools</c> or
/// found by discovery from the state store so a new replica can pick before the next pub/sub snapshot; retries while the
/// sidecar comes up. Live snapshots win by sequence.</summary>
internal sealed partial class SnapshotColdStart(
    DaprClient client,
    SchedulingService scheduler,
    IOptions<SchedulerOptions> options,
    IPoolDiscovery discovery,
    TimeProvider time,
    ILogger<SnapshotColdStart> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private const int Attempts = 30;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pools = new SortedSet<string>(options.Value.Pools.Keys, StringComparer.Ordinal);
        if (discovery is not NoPoolDiscovery)
        {
            // The first Kubernetes list arrives asynchronously; the pool file is read at start.
            for (var attempt = 1; attempt <= Attempts && discovery.Current.Pools.Count == 0 && !stoppingToken.IsCancellationRequested; attempt++)
                await Task.Delay(RetryDelay, time, stoppingToken).ConfigureAwait(false);
            foreach (var p in discovery.Current.Pools)
                pools.Add(p.Name);
        }
        foreach (var pool in pools)
        {
            for (var attempt = 1; attempt <= Attempts && !stoppingToken.IsCancellationRequested; attempt++)
            {
                try
                {
                    var data = await client.GetByteStateAsync(DaprNames.StateStore, DaprNames.SnapshotKeyPrefix + pool,
                        cancellationToken: stoppingToken).ConfigureAwait(false);
                    if (!data.IsEmpty && JsonSerializer.Deserialize(data.Span, ContractsJsonContext.Default.PoolSnapshot) is { } snapshot)
                    {
                        var result = scheduler.ApplySnapshot(snapshot);
                        LogLoaded(pool, snapshot.Sequence, result);
                    }
                    break;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    if (attempt == Attempts)
                        LogFailed(ex, pool);
                    await Task.Delay(RetryDelay, time, stoppingToken).ConfigureAwait(false);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cold start: snapshot of pool {Pool} seq {Sequence} from the state store: {Result}")]
    private partial void LogLoaded(string pool, long sequence, SnapshotResult result);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cold start: could not read the snapshot of pool {Pool}; waiting for pub/sub")]
    private partial void LogFailed(Exception exception, string pool);
}
