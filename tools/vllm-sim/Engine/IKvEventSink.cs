namespace InferenceMesh.VllmSim;

/// <summary>Receives an engine's KV-cache changes as they happen, the events vLLM publishes with
/// <c>--kv-events-config</c>; called on the engine's thread (under the HTTP host's lock), in simulated time.</summary>
public interface IKvEventSink
{
    /// <summary>A full block was computed and entered the prefix cache under <paramref name="blockHash"/> (salted by the
    /// adapter); <paramref name="tokenIds"/> are its 16 tokens, empty when the prompt carries none.</summary>
    void BlockStored(double nowMs, ulong blockHash, ulong? parentBlockHash, ReadOnlySpan<ulong> tokenIds, string? loraName);

    /// <summary>A cached block was evicted to make room.</summary>
    void BlockRemoved(double nowMs, ulong blockHash);

    /// <summary>The whole prefix cache was dropped (reset or restart).</summary>
    void AllBlocksCleared(double nowMs);
}
