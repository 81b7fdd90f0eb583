namespace InferenceMesh.VllmSim;

/// <summary>A label set of <c>vllm:lora_requests_info</c> and the last simulated time (ms) it was current.</summary>
public readonly record struct LoraInfoSample(string RunningAdapters, string WaitingAdapters, double SimMs);

public sealed partial class SimServer
{
    private const int LoraInfoHistory = 32;
    private readonly List<LoraInfoSample> _loraInfo = [];

    /// <summary>Requests in the running batch (<c>vllm:num_requests_running</c>).</summary>
    public int NumRunning => _running.Count;

    /// <summary>Requests waiting, including preempted ones (<c>vllm:num_requests_waiting</c>).</summary>
    public int NumWaiting { get; private set; }

    /// <summary>KV blocks in total (<c>num_gpu_blocks</c>).</summary>
    public int NumGpuBlocks => _pool.Capacity;

    /// <summary>KV blocks referenced by requests.</summary>
    public int UsedBlocks => _pool.Capacity - _pool.FreeCount;

    /// <summary>Fraction of KV blocks in use, 0..1 (<c>vllm:kv_cache_usage_perc</c>; cached-but-free blocks count as free, like vLLM).</summary>
    public double KvUsage => (double)UsedBlocks / _pool.Capacity;

    /// <summary>Blocks currently registered in the prefix cache (referenced or evictable).</summary>
    public int CachedBlocks => _pool.CachedCount;

    /// <summary>Cached blocks evicted to make room.</summary>
    public long Evictions => _pool.Evictions;

    /// <summary>Prompt tokens looked up in the prefix cache, per admission (<c>vllm:prefix_cache_queries_total</c>).</summary>
    public long PrefixCacheQueries { get; private set; }

    /// <summary>Of those, tokens served from the cache (<c>vllm:prefix_cache_hits_total</c>).</summary>
    public long PrefixCacheHits { get; private set; }

    /// <summary>Prompt tokens of requests that produced their first token (<c>vllm:prompt_tokens_total</c>).</summary>
    public long PromptTokens { get; private set; }

    /// <summary>Output tokens produced (<c>vllm:generation_tokens_total</c>).</summary>
    public long GenerationTokens { get; private set; }

    /// <summary>Requests submitted.</summary>
    public long RequestsReceived { get; private set; }

    /// <summary>Requests finished (<c>vllm:request_success_total</c>).</summary>
    public long RequestsFinished { get; private set; }

    /// <summary>Preemptions (<c>vllm:num_preemptions_total</c>).</summary>
    public long Preemptions { get; private set; }

    /// <summary>Engine steps run.</summary>
    public long Steps { get; private set; }

    /// <summary>LoRA adapters loaded into a GPU slot.</summary>
    public long LoraLoads { get; private set; }

    /// <summary>LoRA adapters evicted from a GPU slot.</summary>
    public long LoraUnloads { get; private set; }

    /// <summary>TTFT histogram, seconds.</summary>
    public SimHistogram TimeToFirstToken { get; } = new(SimHistogram.TtftBuckets());

    /// <summary>Inter-token interval histogram, seconds.</summary>
    public SimHistogram TimePerOutputToken { get; } = new(SimHistogram.TpotBuckets());

    /// <summary>End-to-end latency histogram, seconds.</summary>
    public SimHistogram E2eLatency { get; } = new(SimHistogram.LatencyBuckets());

    /// <summary>Queue time histogram, seconds.</summary>
    public SimHistogram QueueTime { get; } = new(SimHistogram.LatencyBuckets());

    /// <summary>Prompt length of finished requests, tokens (<c>vllm:request_prompt_tokens</c>).</summary>
    public SimHistogram RequestPromptTokens { get; } = new(SeedMetrics.TokenBuckets(32768));

    /// <summary>Generated length of finished requests, tokens (<c>vllm:request_generation_tokens</c>).</summary>
    public SimHistogram RequestGenerationTokens { get; } = new(SeedMetrics.TokenBuckets(32768));

    /// <summary>Adapters with running requests, in order of first appearance.</summary>
    public IReadOnlyList<string> RunningLoraAdapters() => DistinctLoras(_running, null);

    /// <summary>Adapters with waiting requests.</summary>
    public IReadOnlyList<string> WaitingLoraAdapters() => DistinctLoras(null, _waitHead);

    /// <summary>Adapters loaded in GPU slots, least recently activated first.</summary>
    public IReadOnlyList<string> LoadedLoraAdapters => _residentLoras;

    /// <summary>Every label set <c>vllm:lora_requests_info</c> has shown (the newest value is current), at most 32.</summary>
    public IReadOnlyList<LoraInfoSample> LoraInfoSamples => _loraInfo;

    /// <summary>The requests in the running batch (read-only view; do not keep across events).</summary>
    public IReadOnlyList<SimRequest> Running => _running;

    /// <summary>Oracle view: prompt tokens that would be served from this server's prefix cache right now
    /// (min(hit blocks × 16, ⌊(n−1)/16⌋ × 16)).</summary>
    public int CachedPrefixTokens(SimPrompt prompt, string? loraName = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var salt = string.IsNullOrEmpty(loraName) ? 0 : StableHash.OfString(loraName) | 1UL;
        var hit = _pool.MatchPrefix(prompt.BlockHashes, salt, (prompt.TokenCount - 1) / Profile.BlockSize);
        return hit * Profile.BlockSize;
    }

    /// <summary>Oracle view: tokens still to prefill, over running requests (exact) and waiting ones (uncached part as
    /// estimated against the cache when each joined the queue). O(running).</summary>
    public long PendingPrefillTokens()
    {
        var pending = _waitingUncached;
        for (var i = 0; i < _running.Count; i++)
        {
            var r = _running[i];
            pending += r.NumTokens - r.NumComputed - 1;
        }
        return pending;
    }

    /// <summary>Oracle view: KV tokens held by running requests (the decode cost driver).</summary>
    public long RunningContextTokens()
    {
        long ctx = 0;
        for (var i = 0; i < _running.Count; i++)
            ctx += _running[i].NumComputed;
        return ctx;
    }

    /// <summary>
    /// Oracle view: predicted TTFT (ms) if <paramref name="prompt"/> arrived now, from this server's true cache and queue,
    /// by stepping the same step-time model forward: the rest of the step in flight, then steps that prefill the work
    /// queued ahead (FCFS) and then this prompt's uncached tokens in chunks, each step also carrying the running decodes;
    /// plus a wait for a slot when <c>max_num_seqs</c> is reached. Ignores future arrivals, preemption and eviction.
    /// </summary>
    public double PredictTtftMs(SimPrompt prompt, string? loraName = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var p = Profile;
        var cached = CachedPrefixTokens(prompt, loraName);
        long mine = prompt.TokenCount - cached;
        var decodes = 0;
        for (var i = 0; i < _running.Count; i++)
        {
            if (_running[i].NumTokens - _running[i].NumComputed == 1)
                decodes++;
        }
        var queue = PendingPrefillTokens();
        var ctxRunning = (double)RunningContextTokens();
        var perStep = Math.Max(1, p.MaxNumBatchedTokens - decodes);
        var knee = p.EffectiveKneeTokens;
        double myCtx = cached;
        var inFlightLeft = _inFlight ? Math.Max(0, _eventMs - NowMs) : 0;
        var t = 0.0;
        var first = true;
        var started = false;
        while (mine > 0)
        {
            var fromQueue = Math.Min(queue, perStep);
            queue -= fromQueue;
            var chunk = Math.Min(mine, perStep - fromQueue);
            var starts = chunk > 0 && !started;
            started |= chunk > 0;
            mine -= chunk;
            var pairs = chunk > 1 ? CausalPairs(myCtx, chunk) : 0;
            myCtx += chunk;
            var tokens = fromQueue + chunk + decodes;
            t += p.CpuOverheadMs + p.StepBaseMs
                + (p.PrefillMsPerToken * Math.Max(0, tokens - knee))
                + (p.ContextMsPerToken * (ctxRunning + (chunk > 0 ? myCtx : 0)))
                + (p.AttentionMsPerTokenPair * pairs)
                + ((starts || (first && fromQueue > 0)) ? p.NewRequestOverheadMs : 0);
            first = false;
        }
        if (_running.Count + NumWaiting >= p.MaxNumSeqs)
        {
            var minLeft = int.MaxValue;
            for (var i = 0; i < _running.Count; i++)
                minLeft = Math.Min(minLeft, _running[i].OutputTokens - _running[i].GeneratedTokens);
            if (minLeft != int.MaxValue)
                t += minLeft * (p.CpuOverheadMs + p.StepBaseMs + (p.ContextMsPerToken * ctxRunning));
        }
        // A slowed server steps 1/Speed times slower; stalls are averaged in (the share of time they take).
        var stallShare = Options.StallMs > 0 ? Options.StallEveryMs / (Options.StallEveryMs - Options.StallMs) : 1.0;
        return inFlightLeft + (t / Options.Speed * stallShare);
    }

    private void RecordLoraInfo()
    {
        var running = string.Join(',', RunningLoraAdapters());
        var waiting = string.Join(',', WaitingLoraAdapters());
        for (var i = 0; i < _loraInfo.Count; i++)
        {
            if (_loraInfo[i].RunningAdapters == running && _loraInfo[i].WaitingAdapters == waiting)
            {
                _loraInfo[i] = new LoraInfoSample(running, waiting, NowMs);
                return;
            }
        }
        if (_loraInfo.Count >= LoraInfoHistory)
        {
            var oldest = 0;
            for (var i = 1; i < _loraInfo.Count; i++)
            {
                if (_loraInfo[i].SimMs < _loraInfo[oldest].SimMs)
                    oldest = i;
            }
            _loraInfo.RemoveAt(oldest);
        }
        _loraInfo.Add(new LoraInfoSample(running, waiting, NowMs));
    }

    private static List<string> DistinctLoras(List<SimRequest>? list, SimRequest? head)
    {
        var result = new List<string>();
        if (list is not null)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i].LoraName is { } l && !result.Contains(l))
                    result.Add(l);
            }
        }
        for (var r = head; r is not null; r = r.Next)
        {
            if (r.LoraName is { } l && !result.Contains(l))
                result.Add(l);
        }
        return result;
    }
}
