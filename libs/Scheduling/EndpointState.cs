using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>One endpoint as this replica sees it: the latest scraped numbers plus its own dispatches since that scrape.</summary>
/// <remarks>Fields, not properties: read in tight loops under the scheduler lock.</remarks>
internal sealed class EndpointState(string address)
{
    public readonly string Address = address;
    public int Waiting;
    public int Running;
    public double KvUsage;
    public IReadOnlyList<string> RunningLoras = [];
    public IReadOnlyList<string> WaitingLoras = [];
    public int MaxLoras;
    public int BlockSize;
    public int NumBlocks;
    public long ScrapedAtMs;
    public EndpointHealth Health;

    /// <summary>This replica's dispatches made at or after <see cref="ScrapedAtMs"/> and not completed: load the scrape cannot show yet.</summary>
    public int SinceSnapshot;

    /// <summary>Completions, since <see cref="ScrapedAtMs"/>, of this replica's dispatches the scrape already counted: each
    /// freed a slot the scrape still shows as taken (the server has admitted one of its waiting requests since), so the
    /// gate need not wait a whole scrape interval to see the room.</summary>
    public int FreedSinceSnapshot;

    /// <summary>The part of <see cref="SinceSnapshot"/> that other replicas dispatched (their events on the fan-out topic).</summary>
    public int RemoteSinceSnapshot;

    /// <summary>Live scheduler replicas splitting this endpoint's scraped queue headroom (1 = this one alone).</summary>
    public int ShareReplicas = 1;

    /// <summary>This replica's place in the split, 0 ≤ slot &lt; <see cref="ShareReplicas"/>: of the free queue places,
    /// counted from the scraped queue up, this replica takes the ones at <c>slot</c>, <c>slot + ShareReplicas</c>, …</summary>
    public int ShareSlot;

    /// <summary>Uncached prompt blocks (the index's blocks) sent here in placement-aware profiles, this replica's dispatches and
    /// the other replicas' announced ones: the clock <see cref="RecentPlacements"/> advances and ages a placement by, as the
    /// server's cache evicts a prefix once enough new blocks have been written after it.</summary>
    public long PlacedBlocks;

    /// <summary>This replica's dispatches not completed.</summary>
    public int InFlight;

    /// <summary>When the prefill work this replica sent here is predicted to be done (Unix ms): a local virtual queue that
    /// sees the backlog a scrape cannot (long prompts being prefilled show as one running request).</summary>
    public double BacklogUntilMs;

    /// <summary>Running mean of this replica's completed requests' time from dispatch to completion per output token
    /// (ms); 0 = none observed yet. A server slower than its peers (another GPU, a noisy neighbour) shows here before
    /// its queue grows, and even when its queue is empty.</summary>
    public double MsPerToken;

    /// <summary>Folds one completion (dispatch to completion, output tokens) into <see cref="MsPerToken"/>.</summary>
    public void ObserveCompletion(double elapsedMs, int outputTokens)
    {
        if (outputTokens <= 0 || !(elapsedMs > 0))
            return;
        var perToken = elapsedMs / outputTokens;
        MsPerToken = MsPerToken <= 0 ? perToken : MsPerToken + (0.1 * (perToken - MsPerToken));
    }

    /// <summary>Decode measurements needed before <see cref="DecodeMsPerToken"/> counts (the first come from a cold start).</summary>
    public const int MinDecodeSamples = 4;

    // A low quantile, not a mean: a faster measurement pulls it down at once, a slower one lifts it a little, so it follows
    // the server's speed (its GPU, a noisy neighbour) rather than its momentary batch, and still re-measures a slowdown.
    private const double DecodeFallRate = 0.5;
    private const double DecodeRiseRate = 0.02;

    /// <summary>The server's decode time per output token (ms) from streamed completions — this replica's and, by the
    /// completions fan-out, the other replicas' — (first token to completion over the tokens after the first), tracked as
    /// a low quantile: its speed with the queue and most of the batch left out. 0 until the first measurement.</summary>
    public double DecodeMsPerToken;

    /// <summary>How many completions have measured <see cref="DecodeMsPerToken"/>.</summary>
    public int DecodeSamples;

    /// <summary>The measured decode speed, or 0 while fewer than <see cref="MinDecodeSamples"/> completions measured it.</summary>
    public double MeasuredDecodeMsPerToken => DecodeSamples >= MinDecodeSamples ? DecodeMsPerToken : 0;

    /// <summary>Whether <paramref name="completion"/> measures a decode: a successful one whose first-token time ext-proc saw,
    /// decoding for at least <paramref name="minDecodeMs"/>.</summary>
    public static bool MeasuresDecode(RequestCompletion completion, double minDecodeMs) =>
        completion.StatusCode == 200 && completion.FirstTokenAtUnixMs > 0 && completion.CompletedAtUnixMs - completion.FirstTokenAtUnixMs >= minDecodeMs;

    /// <summary>Folds <paramref name="completion"/>'s decode into <see cref="DecodeMsPerToken"/> when it measures one.</summary>
    public void ObserveDecode(RequestCompletion completion, double minDecodeMs)
    {
        if (MeasuresDecode(completion, minDecodeMs))
            ObserveDecode(completion.CompletedAtUnixMs - completion.FirstTokenAtUnixMs, completion.CompletionTokens);
    }

    /// <summary>Folds one streamed completion's decode (first token to completion, output tokens) into <see cref="DecodeMsPerToken"/>.</summary>
    public void ObserveDecode(double decodeMs, int outputTokens)
    {
        if (outputTokens <= 1 || !(decodeMs > 0) || !double.IsFinite(decodeMs))
            return;
        var perToken = decodeMs / (outputTokens - 1);
        DecodeSamples++;
        DecodeMsPerToken = DecodeMsPerToken <= 0 ? perToken
            : DecodeMsPerToken + ((perToken < DecodeMsPerToken ? DecodeFallRate : DecodeRiseRate) * (perToken - DecodeMsPerToken));
    }

    public void Update(EndpointMetrics m)
    {
        Waiting = Math.Max(0, m.Waiting);
        Running = Math.Max(0, m.Running);
        KvUsage = double.IsFinite(m.KvUsage) ? Math.Clamp(m.KvUsage, 0, 1) : 1;
        RunningLoras = m.RunningLoras ?? [];
        WaitingLoras = m.WaitingLoras ?? [];
        MaxLoras = m.MaxLoras;
        BlockSize = m.BlockSize;
        NumBlocks = m.NumBlocks;
        ScrapedAtMs = m.ScrapedAtUnixMs;
        Health = m.Health;
        FreedSinceSnapshot = 0;
    }

    /// <summary>Requests queued at the server as this replica can tell now: the scraped queue less the slots freed since,
    /// plus its own dispatches the scrape could not see.</summary>
    public int EffectiveWaiting => Math.Max(0, Waiting - FreedSinceSnapshot) + SinceSnapshot;

    /// <summary>The queue the gate must assume for this replica's next dispatch when <see cref="ShareReplicas"/> replicas
    /// spend the same snapshot's headroom at once, each unseen by the others until their events arrive: every one of
    /// this replica's dispatches since the scrape stands for one of each replica, so its next free place is the
    /// <c>ShareSlot + ShareReplicas × own</c>-th above the scraped queue. The replicas' places interleave and together
    /// fill exactly the headroom one replica would fill. 0 when not split or while this replica's own completions since
    /// the scrape (room it freed itself) exceed its dispatches.</summary>
    public int SharedWaiting
    {
        get
        {
            var own = SinceSnapshot - RemoteSinceSnapshot - FreedSinceSnapshot;
            return ShareReplicas <= 1 || own < 0 ? 0 : Waiting + ShareSlot + (ShareReplicas * own);
        }
    }

    public bool IsFresh(long nowMs, int stalenessMs) => Health == EndpointHealth.Healthy && nowMs - ScrapedAtMs <= stalenessMs;
}
