namespace InferenceMesh.VllmSim;

/// <summary>
/// One simulated vLLM V1 engine: waiting/running queues, continuous batching with chunked prefill, a paged KV cache
/// with automatic prefix caching, recompute preemption and LoRA slots, advanced by discrete events (one per engine
/// step). Not thread-safe: drive it from one thread (the HTTP host holds a lock around it).
/// </summary>
public sealed partial class SimServer
{
    private readonly SimClock _clock;
    private readonly bool _ownsClock;
    private readonly KvBlockPool _pool;
    private readonly List<SimRequest> _running = [];
    private readonly List<SimRequest> _scheduled = [];
    private readonly List<SimRequest> _finished = [];
    private readonly List<string> _activeLoras = [];
    private readonly List<string> _residentLoras = [];   // GPU slots, least recently activated first
    private readonly HashSet<string> _knownLoras;
    private readonly List<LoraModule> _loraModules;
    private SimRequest? _waitHead;
    private SimRequest? _waitTail;
    private long _waitingUncached;
    private bool _inFlight;
    private double _eventMs = double.PositiveInfinity;

    /// <summary>A stand-alone server with its own clock starting at 0.</summary>
    public SimServer(SimServerOptions options)
        : this(options, 0, new SimClock(), ownsClock: true)
    {
    }

    internal SimServer(SimServerOptions options, int index, SimClock clock, bool ownsClock)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Profile.Validate();
        options.ValidateSlowdown();
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxLoras);
        Options = options;
        Profile = options.Profile;
        Index = index;
        _clock = clock;
        _ownsClock = ownsClock;
        _pool = new KvBlockPool(Profile.NumGpuBlocks);
        _pool.Evicted = OnEvicted;
        _knownLoras = new HashSet<string>(StringComparer.Ordinal);
        _loraModules = [];
        foreach (var m in options.LoraModules)
        {
            if (_knownLoras.Add(m.Name))
                _loraModules.Add(m);
        }
    }

    /// <summary>Configuration.</summary>
    public SimServerOptions Options { get; }

    /// <summary>Performance profile.</summary>
    public SimProfile Profile { get; }

    /// <summary>Position in the fleet.</summary>
    public int Index { get; }

    /// <summary>Current simulated time, ms.</summary>
    public double NowMs => _clock.NowMs;

    /// <summary>Time of the next engine event (a step ends or a step is due to start); +∞ when idle.</summary>
    public double NextEventMs => _eventMs;

    /// <summary>True when nothing is queued or running.</summary>
    public bool IsIdle => double.IsPositiveInfinity(_eventMs);

    /// <summary>Called when a request finishes (after its observer), on the engine's thread.</summary>
    public Action<SimRequest>? RequestFinished { get; set; }

    // ---------------- submission ----------------

    /// <summary>Checks a request against this server: known adapter, fits <c>max_model_len</c> and the KV capacity.
    /// Returns null when valid, else a vLLM-like error message.</summary>
    public string? Validate(SimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.LoraName is { } lora && !_knownLoras.Contains(lora))
            return $"The model `{lora}` does not exist.";
        var total = (long)request.Prompt.TokenCount + request.OutputTokens;
        if (total > Profile.MaxModelLen)
        {
            return $"This model's maximum context length is {Profile.MaxModelLen} tokens. However, you requested {total} tokens " +
                $"({request.Prompt.TokenCount} in the messages, {request.OutputTokens} in the completion). Please reduce the length of the messages or completion.";
        }
        if (total > Profile.KvCapacityTokens)
            return $"The request needs {total} tokens of KV cache but the server holds only {Profile.KvCapacityTokens}.";
        return null;
    }

    /// <summary>Queues <paramref name="request"/>, arriving now. Throws <see cref="ArgumentException"/> if
    /// <see cref="Validate"/> rejects it.</summary>
    public void Submit(SimRequest request)
    {
        if (Validate(request) is { } error)
            throw new ArgumentException(error, nameof(request));
        if (request.State != SimRequestState.New)
            throw new InvalidOperationException($"request {request.Id} was already submitted");
        request.ServerIndex = Index;
        request.ArrivalMs = NowMs;
        request.NumTokens = request.Prompt.TokenCount;
        request.LoraSalt = request.LoraName is null ? 0 : StableHash.OfString(request.LoraName) | 1UL;
        request.State = SimRequestState.Waiting;
        PushWaitingBack(request);
        RequestsReceived++;
        if (!_inFlight && IsIdle)
            _eventMs = NowMs;   // the engine loop wakes up; the step starts once every arrival at this instant is queued
    }

    /// <summary>Cancels a waiting or running request (client went away), freeing its KV blocks. No callbacks fire.</summary>
    /// <returns>False when the request was not queued or running here.</returns>
    public bool Abort(SimRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ServerIndex != Index)
            return false;
        switch (request.State)
        {
            case SimRequestState.Waiting:
                RemoveWaiting(request);
                break;
            case SimRequestState.Running:
                _running.Remove(request);
                FreeBlocks(request);
                break;
            default:
                return false;
        }
        request.State = SimRequestState.Aborted;
        RequestsAborted++;
        return true;
    }

    /// <summary>Requests cancelled by <see cref="Abort"/>.</summary>
    public long RequestsAborted { get; private set; }

    /// <summary>Adapters currently served (from options, plus runtime loads, minus unloads).</summary>
    public IReadOnlyList<LoraModule> LoraModules => _loraModules;

    /// <summary>True when <paramref name="name"/> is a served adapter.</summary>
    public bool HasLoraAdapter(string name) => _knownLoras.Contains(name);

    /// <summary>Runtime load (vLLM's <c>/v1/load_lora_adapter</c>); returns an error message if it is already served.</summary>
    public string? LoadLoraAdapter(LoraModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (!_knownLoras.Add(module.Name))
            return $"The lora adapter '{module.Name}' has already been loaded.";
        _loraModules.Add(module);
        return null;
    }

    /// <summary>Runtime unload (vLLM's <c>/v1/unload_lora_adapter</c>); requests already queued for it still complete.
    /// Returns an error message if it is not served.</summary>
    public string? UnloadLoraAdapter(string name)
    {
        if (!_knownLoras.Remove(name))
            return $"The lora adapter '{name}' cannot be found.";
        _loraModules.RemoveAll(m => m.Name == name);
        if (!_activeLoras.Contains(name) && _residentLoras.Remove(name))
            LoraUnloads++;
        return null;
    }

    // ---------------- driving (stand-alone) ----------------

    /// <summary>Processes every event strictly before <paramref name="timeMs"/>, then sets the clock to it
    /// (arrivals submitted at exactly <paramref name="timeMs"/> join the step that starts then).</summary>
    public void AdvanceTo(double timeMs)
    {
        EnsureOwnClock();
        while (_eventMs < timeMs)
        {
            _clock.NowMs = _eventMs;
            ProcessEvent();
        }
        if (timeMs > _clock.NowMs)
            _clock.NowMs = timeMs;
    }

    /// <summary>Processes the next event; false when idle.</summary>
    public bool RunNextEvent()
    {
        EnsureOwnClock();
        if (IsIdle)
            return false;
        _clock.NowMs = _eventMs;
        ProcessEvent();
        return true;
    }

    /// <summary>Runs until nothing is queued or running.</summary>
    public void RunUntilIdle()
    {
        while (RunNextEvent())
        {
        }
    }

    private void EnsureOwnClock()
    {
        if (!_ownsClock)
            throw new InvalidOperationException("this server belongs to a SimFleet: advance the fleet");
    }

    /// <summary>The event at <see cref="NextEventMs"/> (the clock is already there): finish the step in flight, start the next.</summary>
    internal void ProcessEvent()
    {
        if (_inFlight)
            FinishStep();
        ApplyPendingReset();
        StartStep();
        if (_finished.Count > 0)
            NotifyFinished();
    }

    private void NotifyFinished()
    {
        // Callbacks run after the state is consistent, and may submit new requests (closed-loop clients).
        var count = _finished.Count;
        for (var i = 0; i < count; i++)
        {
            var r = _finished[i];
            r.Observer?.OnFinished(r, r.FinishedMs);
            RequestFinished?.Invoke(r);
        }
        _finished.RemoveRange(0, count);
    }

    // ---------------- waiting queue (intrusive list: O(1) removal while skipping LoRA-blocked requests) ----------------

    private void PushWaitingBack(SimRequest r)
    {
        TrackWaiting(r);
        r.Prev = _waitTail;
        r.Next = null;
        if (_waitTail is null)
            _waitHead = r;
        else
            _waitTail.Next = r;
        _waitTail = r;
        NumWaiting++;
    }

    private void PushWaitingFront(SimRequest r)
    {
        TrackWaiting(r);
        r.Prev = null;
        r.Next = _waitHead;
        if (_waitHead is null)
            _waitTail = r;
        else
            _waitHead.Prev = r;
        _waitHead = r;
        NumWaiting++;
    }

    private void RemoveWaiting(SimRequest r)
    {
        if (r.Prev is null)
            _waitHead = r.Next;
        else
            r.Prev.Next = r.Next;
        if (r.Next is null)
            _waitTail = r.Prev;
        else
            r.Next.Prev = r.Prev;
        r.Prev = r.Next = null;
        NumWaiting--;
        _waitingUncached -= r.UncachedEstimate;
    }

    private void TrackWaiting(SimRequest r)
    {
        var hit = _pool.MatchPrefix(r.Prompt.BlockHashes, r.LoraSalt, (r.NumTokens - 1) / Profile.BlockSize);
        r.UncachedEstimate = r.NumTokens - (hit * Profile.BlockSize);
        _waitingUncached += r.UncachedEstimate;
    }
}
