namespace InferenceMesh.VllmSim;

/// <summary>Where a request is in its life.</summary>
public enum SimRequestState
{
    /// <summary>Not submitted yet.</summary>
    New,
    /// <summary>In the waiting queue (never scheduled, or preempted).</summary>
    Waiting,
    /// <summary>In the running batch.</summary>
    Running,
    /// <summary>All output tokens generated.</summary>
    Finished,
    /// <summary>Cancelled by the client before finishing.</summary>
    Aborted,
}

/// <summary>Receives a request's progress as it happens (the HTTP layer streams from it). Called on the engine's thread.</summary>
public interface ISimRequestObserver
{
    /// <summary>Output token number <paramref name="generated"/> (1-based) was produced at <paramref name="simMs"/>.</summary>
    void OnToken(SimRequest request, int generated, double simMs);

    /// <summary>The request finished at <paramref name="simMs"/>.</summary>
    void OnFinished(SimRequest request, double simMs);
}

/// <summary>One generation request and, once submitted, its simulated timeline. All times are simulated ms.</summary>
public sealed class SimRequest
{
    /// <summary>Creates a request for <paramref name="outputTokens"/> output tokens (generation stops exactly there).</summary>
    public SimRequest(string id, SimPrompt prompt, int outputTokens, string? loraName = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputTokens, 1);
        Id = id;
        Prompt = prompt;
        OutputTokens = outputTokens;
        LoraName = string.IsNullOrEmpty(loraName) ? null : loraName;
    }

    /// <summary>Caller's id.</summary>
    public string Id { get; }

    /// <summary>The prompt.</summary>
    public SimPrompt Prompt { get; }

    /// <summary>Output length in tokens.</summary>
    public int OutputTokens { get; }

    /// <summary>LoRA adapter name, or null for the base model.</summary>
    public string? LoraName { get; }

    /// <summary>Free for the caller (e.g. the workload item).</summary>
    public object? Tag { get; set; }

    /// <summary>Optional progress observer.</summary>
    public ISimRequestObserver? Observer { get; set; }

    /// <summary>Lifecycle state.</summary>
    public SimRequestState State { get; internal set; }

    /// <summary>Index of the server it was submitted to (−1 before).</summary>
    public int ServerIndex { get; internal set; } = -1;

    /// <summary>Arrival time.</summary>
    public double ArrivalMs { get; internal set; } = double.NaN;

    /// <summary>When it was first scheduled.</summary>
    public double FirstScheduledMs { get; internal set; } = double.NaN;

    /// <summary>When the first output token was produced.</summary>
    public double FirstTokenMs { get; internal set; } = double.NaN;

    /// <summary>When the last output token was produced.</summary>
    public double FinishedMs { get; internal set; } = double.NaN;

    /// <summary>Prompt tokens served from the prefix cache at first admission.</summary>
    public int CachedTokens { get; internal set; }

    /// <summary>Output tokens produced so far.</summary>
    public int GeneratedTokens { get; internal set; }

    /// <summary>Times this request was preempted (its KV freed and recomputed later).</summary>
    public int Preemptions { get; internal set; }

    /// <summary>Time to first token.</summary>
    public double TtftMs => FirstTokenMs - ArrivalMs;

    /// <summary>Mean time per output token after the first (0 for one-token outputs).</summary>
    public double TpotMs => OutputTokens > 1 ? (FinishedMs - FirstTokenMs) / (OutputTokens - 1) : 0;

    /// <summary>End-to-end latency.</summary>
    public double E2eMs => FinishedMs - ArrivalMs;

    /// <summary>Time spent waiting before first being scheduled.</summary>
    public double QueueMs => FirstScheduledMs - ArrivalMs;

    // ---- engine bookkeeping (no per-token objects) ----
    internal int NumTokens;          // prompt + generated so far (known tokens)
    internal int NumComputed;        // tokens whose KV is computed
    internal int[] Blocks = [];      // KV block ids, in order
    internal int BlockCount;
    internal int HashedBlocks;       // leading blocks registered in the prefix cache
    internal bool Admitted;          // counted in prefix-cache stats already (first admission)
    internal double LastTokenMs;
    internal int ScheduledTokens;    // tokens scheduled in the current step
    internal SimRequest? Prev;       // waiting-queue links
    internal SimRequest? Next;
    internal ulong LoraSalt;
    internal int UncachedEstimate;   // prompt tokens not cached when it joined the waiting queue (oracle's queue estimate)
}
