namespace InferenceMesh.VllmSim;

public sealed partial class SimServer
{
    /// <summary>Duration of the step in flight (or the last one), ms.</summary>
    public double LastStepMs { get; private set; }

    /// <summary>Tokens scheduled in the step in flight (or the last one).</summary>
    public int LastStepTokens { get; private set; }

    // One engine step, like vLLM V1's scheduler: running requests first (in order, each gets its remaining prompt chunk
    // or one decode token, preempting the newest running request when KV blocks run out), then waiting requests in FCFS
    // order while the token budget, max_num_seqs, the LoRA slots and free KV blocks allow.
    private void StartStep()
    {
        _scheduled.Clear();
        var budget = Profile.MaxNumBatchedTokens;
        var preempted = false;
        var anyStart = false;
        var loraLoads = 0;

        for (var i = 0; i < _running.Count && budget > 0;)
        {
            var r = _running[i];
            var k = Math.Min(r.NumTokens - r.NumComputed, budget);
            var ok = TryGrow(r, r.NumComputed + k);
            while (!ok)
            {
                var victim = _running[^1];
                _running.RemoveAt(_running.Count - 1);
                Preempt(victim);
                preempted = true;
                if (ReferenceEquals(victim, r))
                    break;
                ok = TryGrow(r, r.NumComputed + k);
            }
            if (!ok)
                break;
            Schedule(r, k);
            budget -= k;
            i++;
        }

        // vLLM skips new admissions in a step that preempted; we still admit when nothing else would run, so the
        // engine never stalls with work queued.
        if (!preempted || _scheduled.Count == 0)
            AdmitWaiting(ref budget, ref anyStart, ref loraLoads);

        if (_scheduled.Count == 0)
        {
            _inFlight = false;
            _eventMs = double.PositiveInfinity;
            return;
        }

        var tokens = 0;
        double context = 0;
        double pairs = 0;
        for (var i = 0; i < _scheduled.Count; i++)
        {
            var r = _scheduled[i];
            var k = r.ScheduledTokens;
            var ctx = r.NumComputed + k;
            tokens += k;
            context += ctx;
            if (k > 1)
                pairs += CausalPairs(r.NumComputed, k);
        }
        var p = Profile;
        var dt = p.CpuOverheadMs + p.StepBaseMs
            + (p.PrefillMsPerToken * Math.Max(0, tokens - p.EffectiveKneeTokens))
            + (p.ContextMsPerToken * context)
            + (p.AttentionMsPerTokenPair * pairs)
            + (anyStart ? p.NewRequestOverheadMs : 0)
            + (loraLoads * p.LoraLoadMs);
        dt = (dt / Options.Speed) + Options.StallDelayMs(NowMs);
        LastStepMs = dt;
        LastStepTokens = tokens;
        Steps++;
        _inFlight = true;
        _eventMs = NowMs + dt;
        if (_knownLoras.Count > 0)
            RecordLoraInfo();
    }

    private void AdmitWaiting(ref int budget, ref bool anyStart, ref int loraLoads)
    {
        _activeLoras.Clear();
        for (var i = 0; i < _running.Count; i++)
        {
            if (_running[i].LoraName is { } l && !_activeLoras.Contains(l))
                _activeLoras.Add(l);
        }

        var r = _waitHead;
        while (r is not null && budget > 0 && _running.Count < Profile.MaxNumSeqs)
        {
            var next = r.Next;
            var lora = r.LoraName;
            if (lora is not null && !_activeLoras.Contains(lora) && _activeLoras.Count >= Math.Max(1, Options.MaxLoras))
            {
                // Every LoRA slot is busy with other adapters' running requests: this one waits, later ones may go.
                r = next;
                continue;
            }

            var hashes = r.Prompt.BlockHashes;
            var hitBlocks = _pool.MatchPrefix(hashes, r.LoraSalt, (r.NumTokens - 1) / Profile.BlockSize);
            var cached = hitBlocks * Profile.BlockSize;
            var k = Math.Min(r.NumTokens - cached, budget);
            var newBlocks = BlocksFor(cached + k) - hitBlocks;
            if (newBlocks > _pool.FreeCount - _pool.CountFree(hashes, r.LoraSalt, hitBlocks))
                break;

            RemoveWaiting(r);
            EnsureBlockArray(r, BlocksFor(r.NumTokens + 1));
            for (var b = 0; b < hitBlocks; b++)
            {
                var block = _pool.Lookup(KvBlockPool.Salted(hashes[b], r.LoraSalt));
                _pool.Touch(block);
                r.Blocks[r.BlockCount++] = block;
            }
            for (var b = 0; b < newBlocks; b++)
                r.Blocks[r.BlockCount++] = _pool.Allocate();
            r.NumComputed = cached;
            r.HashedBlocks = hitBlocks;
            if (!r.Admitted)
            {
                r.Admitted = true;
                r.CachedTokens = cached;
                r.FirstScheduledMs = NowMs;
                QueueTime.Observe((NowMs - r.ArrivalMs) / 1000.0);
            }
            PrefixCacheQueries += r.NumTokens;
            PrefixCacheHits += cached;
            r.State = SimRequestState.Running;
            _running.Add(r);
            if (lora is not null && !_activeLoras.Contains(lora))
            {
                _activeLoras.Add(lora);
                if (ActivateLora(lora))
                    loraLoads++;
            }
            anyStart = true;
            Schedule(r, k);
            budget -= k;
            r = next;
        }
    }

    /// <summary>Attention (query, key) pairs when <paramref name="k"/> new tokens follow <paramref name="start"/> computed
    /// ones under a causal mask: Σ_{i=1..k} (start + i).</summary>
    internal static double CausalPairs(double start, double k) => (k * start) + (k * (k + 1) / 2);

    private void Schedule(SimRequest r, int k)
    {
        r.ScheduledTokens = k;
        _scheduled.Add(r);
    }

    private void FinishStep()
    {
        var now = NowMs;
        var anyFinished = false;
        for (var i = 0; i < _scheduled.Count; i++)
        {
            var r = _scheduled[i];
            if (r.State == SimRequestState.Aborted)
                continue;
            r.NumComputed += r.ScheduledTokens;
            r.ScheduledTokens = 0;
            RegisterFullBlocks(r);
            if (r.NumComputed < r.NumTokens)
                continue;   // a prefill chunk: no token yet

            r.GeneratedTokens++;
            r.NumTokens++;
            GenerationTokens++;
            if (r.GeneratedTokens == 1)
            {
                r.FirstTokenMs = now;
                PromptTokens += r.Prompt.TokenCount;
                TimeToFirstToken.Observe((now - r.ArrivalMs) / 1000.0);
            }
            else
            {
                TimePerOutputToken.Observe((now - r.LastTokenMs) / 1000.0);
            }
            r.LastTokenMs = now;
            r.Observer?.OnToken(r, r.GeneratedTokens, now);
            if (r.GeneratedTokens >= r.OutputTokens)
            {
                r.FinishedMs = now;
                r.State = SimRequestState.Finished;
                FreeBlocks(r);
                RequestsFinished++;
                E2eLatency.Observe((now - r.ArrivalMs) / 1000.0);
                RequestPromptTokens.Observe(r.Prompt.TokenCount);
                RequestGenerationTokens.Observe(r.GeneratedTokens);
                _finished.Add(r);
                anyFinished = true;
            }
        }
        if (anyFinished)
            _running.RemoveAll(static r => r.State == SimRequestState.Finished);
        _scheduled.Clear();
    }

    // Full prompt blocks become reusable once computed. Output tokens occupy blocks but are not hashed (see docs).
    private void RegisterFullBlocks(SimRequest r)
    {
        var hashes = r.Prompt.BlockHashes;
        var full = Math.Min(Math.Min(r.NumComputed, r.Prompt.TokenCount) / Profile.BlockSize, hashes.Length);
        for (var b = r.HashedBlocks; b < full; b++)
        {
            if (_pool.Register(r.Blocks[b], KvBlockPool.Salted(hashes[b], r.LoraSalt)) && KvEvents is not null)
                PublishStored(r, b);
        }
        if (full > r.HashedBlocks)
            r.HashedBlocks = full;
    }

    private bool TryGrow(SimRequest r, int tokens)
    {
        var need = BlocksFor(tokens) - r.BlockCount;
        if (need <= 0)
            return true;
        if (need > _pool.FreeCount)
            return false;
        EnsureBlockArray(r, r.BlockCount + need);
        for (var b = 0; b < need; b++)
            r.Blocks[r.BlockCount++] = _pool.Allocate();
        return true;
    }

    private void Preempt(SimRequest r)
    {
        FreeBlocks(r);
        r.NumComputed = 0;
        r.HashedBlocks = 0;
        r.State = SimRequestState.Waiting;
        r.Preemptions++;
        Preemptions++;
        PushWaitingFront(r);
    }

    // Reverse order, so a request's tail blocks reach the free queue first and are evicted before its prefix.
    private void FreeBlocks(SimRequest r)
    {
        for (var b = r.BlockCount - 1; b >= 0; b--)
            _pool.Release(r.Blocks[b]);
        r.BlockCount = 0;
    }

    private int BlocksFor(int tokens) => (tokens + Profile.BlockSize - 1) / Profile.BlockSize;

    private static void EnsureBlockArray(SimRequest r, int size)
    {
        if (r.Blocks.Length >= size)
            return;
        var grown = new int[Math.Max(size, r.Blocks.Length * 2)];
        Array.Copy(r.Blocks, grown, r.BlockCount);
        r.Blocks = grown;
    }

    // True when the adapter had to be loaded into a GPU slot (evicting the least recently activated idle one).
    private bool ActivateLora(string lora)
    {
        var at = _residentLoras.IndexOf(lora);
        if (at >= 0)
        {
            _residentLoras.RemoveAt(at);
            _residentLoras.Add(lora);
            return false;
        }
        if (_residentLoras.Count >= Math.Max(1, Options.MaxLoras))
        {
            for (var i = 0; i < _residentLoras.Count; i++)
            {
                if (!_activeLoras.Contains(_residentLoras[i]))
                {
                    _residentLoras.RemoveAt(i);
                    LoraUnloads++;
                    break;
                }
            }
        }
        _residentLoras.Add(lora);
        LoraLoads++;
        return true;
    }
}
