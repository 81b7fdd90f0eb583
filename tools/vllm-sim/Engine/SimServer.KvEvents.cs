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

    /// <summary>Drops every cached block even while requests run, as a restart does and as vLLM's
    /// <c>reset_prefix_cache(reset_running_requests=True)</c>: at the end of the step in flight (at once when idle) every
    /// running request is preempted (it recomputes from scratch), the cache is cleared and <c>AllBlocksCleared</c> is
    /// reported. Requests are not lost: the simulator models the cache loss, not failed connections.</summary>
    public void ForceResetPrefixCache()
    {
        _resetPending = true;
        if (!_inFlight)
            ApplyPendingReset();
    }

    /// <summary>Prefix-cache losses applied by <see cref="ForceResetPrefixCache"/>.</summary>
    public long ForcedResets { get; private set; }

    private bool _resetPending;

    // Between steps only: no request holds a block once the running ones are preempted (waiting ones hold none).
    private void ApplyPendingReset()
    {
        if (!_resetPending)
            return;
        _resetPending = false;
        for (var i = _running.Count - 1; i >= 0; i--)
            Preempt(_running[i]);
        _running.Clear();
        if (!ResetPrefixCache())
            throw new InvalidOperationException("KV blocks still referenced after preempting every running request");
        ForcedResets++;
        // Waiting requests were estimated against the old cache: nothing of theirs is cached now.
        _waitingUncached = 0;
        for (var r = _waitHead; r is not null; r = r.Next)
        {
            r.UncachedEstimate = r.NumTokens;
            _waitingUncached += r.NumTokens;
        }
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
