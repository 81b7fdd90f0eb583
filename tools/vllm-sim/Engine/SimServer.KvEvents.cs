namespace InferenceMesh.VllmSim;

public sealed partial class SimServer
{
    /// <summary>Where this engine reports KV-cache changes (none by default).</summary>
    public IKvEventSink? KvEvents { get; set; }

    /// <summary>Drops every cached block, as vLLM's <c>/reset_prefix_cache</c> and a restart do, and reports
    /// <c>AllBlocksCleared</c>; refused (false) while requests hold blocks.</summary>
    public bool ResetPrefixCache()
    {
        if (!_pool.ResetPrefixCache())
            return false;
        KvEvents?.AllBlocksCleared(_clock.NowMs);
        return true;
    }

    private void OnEvicted(ulong saltedHash) => KvEvents?.BlockRemoved(_clock.NowMs, saltedHash);

    private void PublishStored(SimRequest r, int block)
    {
        var hashes = r.Prompt.BlockHashes;
        Span<ulong> tokens = stackalloc ulong[SimPrompt.BlockSize];
        var known = r.Prompt.TryWriteBlockTokens(block, tokens);
        ulong? parent = block == 0 ? null : KvBlockPool.Salted(hashes[block - 1], r.LoraSalt);
        KvEvents!.BlockStored(_clock.NowMs, KvBlockPool.Salted(hashes[block], r.LoraSalt), parent, known ? tokens : [], r.LoraName);
    }
}
