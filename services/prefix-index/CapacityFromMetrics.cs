using System.Collections.Concurrent;
using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;

namespace InferenceMesh.PrefixIndex;

/// <summary>Keeps each endpoint's index capacity equal to its engine's KV blocks (<c>num_gpu_blocks</c>), writing only changes.</summary>
internal sealed partial class CapacityFromMetrics(IPrefixIndex index, ILogger<CapacityFromMetrics> logger)
{
    private readonly ConcurrentDictionary<string, int> _applied = new(StringComparer.Ordinal);

    public async Task ApplyAsync(PoolSnapshot snapshot, CancellationToken cancellationToken)
    {
        if (snapshot?.Endpoints is null)
            return;
        foreach (var endpoint in snapshot.Endpoints)
        {
            if (endpoint.NumBlocks <= 0 || (_applied.TryGetValue(endpoint.Address, out var known) && known == endpoint.NumBlocks))
                continue;
            try
            {
                await index.SetCapacityAsync(endpoint.Address, endpoint.NumBlocks, cancellationToken).ConfigureAwait(false);
                _applied[endpoint.Address] = endpoint.NumBlocks;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCapacityFailed(logger, endpoint.Address, ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Could not set the prefix-index capacity of {Endpoint}: {Reason}")]
    private static partial void LogCapacityFailed(ILogger logger, string endpoint, string reason);
}
