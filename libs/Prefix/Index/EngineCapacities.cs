using System.Collections.Concurrent;

namespace InferenceMesh.Prefix.Index;

/// <summary>The endpoints whose index capacity was set from their engine's reported KV size (prefix-index's endpoint
/// lifecycle marks them; a purge forgets them). <see cref="CapacityFeedbackMode.WhenUnknown"/> leaves their capacity to
/// the engine. Thread-safe; one per process.</summary>
public sealed class EngineCapacities
{
    private readonly ConcurrentDictionary<string, byte> _reported = new(StringComparer.Ordinal);

    /// <summary>The endpoint's capacity now is its engine's reported size.</summary>
    public void Reported(string endpoint) => _reported[endpoint] = 0;

    /// <summary>The endpoint is gone (purged): its next capacity is a guess again until reported.</summary>
    public void Forget(string endpoint) => _reported.TryRemove(endpoint, out _);

    public bool IsReported(string endpoint) => _reported.ContainsKey(endpoint);
}
