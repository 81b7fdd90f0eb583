using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;
using Microsoft.Extensions.Options;

namespace InferenceMesh.PrefixIndex;

/// <summary>Follows the pools' endpoint snapshots: sets each endpoint's capacity to its engine's KV blocks
/// (<c>num_gpu_blocks</c>, written only when it changes) and purges endpoints absent from their pool for longer than
/// <see cref="PrefixIndexOptions.PurgeAbsentAfterSeconds"/> (snapshots leave unhealthy endpoints out, so a short absence
/// is tolerated). Every replica receives every snapshot; purges and capacity writes are idempotent. An endpoint whose
/// capacity is written here is marked engine-reported (<see cref="EngineCapacities"/>, forgotten with the purge): the
/// schedulers' capacity feedback (<c>POST /capacity-feedback</c>) leaves it alone unless <c>CapacityFeedback</c> is
/// <c>Always</c>, which moves it from there until the block count changes (or a replica starts and writes it again).</summary>
internal sealed partial class EndpointLifecycle(IPrefixIndex index, IOptions<PrefixIndexOptions> options, TimeProvider time, ILogger<EndpointLifecycle> logger,
    EngineCapacities? engineCapacities = null)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _capacities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, DateTimeOffset>> _lastSeen = new(StringComparer.Ordinal);

    public async Task ApplyAsync(PoolSnapshot snapshot, CancellationToken cancellationToken)
    {
        if (snapshot?.Endpoints is null || string.IsNullOrEmpty(snapshot.Pool))
            return;
        var now = time.GetUtcNow();
        var capacityChanges = new List<(string Address, int Blocks)>();
        var absent = new List<string>();
        var purgeAfter = TimeSpan.FromSeconds(options.Value.PurgeAbsentAfterSeconds);
        lock (_gate)
        {
            if (!_lastSeen.TryGetValue(snapshot.Pool, out var seen))
                _lastSeen[snapshot.Pool] = seen = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
            foreach (var endpoint in snapshot.Endpoints)
            {
                if (string.IsNullOrEmpty(endpoint.Address))
                    continue;
                seen[endpoint.Address] = now;
                if (endpoint.NumBlocks > 0 && (!_capacities.TryGetValue(endpoint.Address, out var known) || known != endpoint.NumBlocks))
                    capacityChanges.Add((endpoint.Address, endpoint.NumBlocks));
            }
            if (purgeAfter > TimeSpan.Zero)
            {
                foreach (var (address, last) in seen)
                {
                    if (now - last > purgeAfter)
                        absent.Add(address);
                }
                foreach (var address in absent)
                {
                    seen.Remove(address);
                    _capacities.Remove(address);
                }
            }
        }

        foreach (var (address, blocks) in capacityChanges)
        {
            try
            {
                await index.SetCapacityAsync(address, blocks, cancellationToken).ConfigureAwait(false);
                lock (_gate)
                    _capacities[address] = blocks;
                engineCapacities?.Reported(address);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCapacityFailed(logger, address, ex.Message);
            }
        }
        foreach (var address in absent)
        {
            try
            {
                var removed = await index.PurgeEndpointAsync(address, cancellationToken).ConfigureAwait(false);
                engineCapacities?.Forget(address);
                LogPurged(logger, address, snapshot.Pool, removed);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPurgeFailed(logger, address, ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Could not set the prefix-index capacity of {Endpoint}: {Reason}")]
    private static partial void LogCapacityFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Purged {Endpoint} (gone from pool {Pool}): {Removed} entries")]
    private static partial void LogPurged(ILogger logger, string endpoint, string pool, long removed);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "Could not purge {Endpoint} from the prefix index: {Reason}")]
    private static partial void LogPurgeFailed(ILogger logger, string endpoint, string reason);
}
