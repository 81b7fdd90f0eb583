namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary>What the sequencer asks of its owner.</summary>
internal interface ISequencerActions
{
    /// <summary>Apply this batch (they arrive in sequence order, each once).</summary>
    void Apply(long sequence, ReadOnlyMemory<byte> payload);

    /// <summary>Ask the publisher's replay socket for every buffered batch from <paramref name="fromSequence"/>.</summary>
    void RequestReplay(long fromSequence);

    /// <summary>History was lost (publisher restart, or a gap the replay buffer no longer covers): forget the endpoint's
    /// state; what follows rebuilds it.</summary>
    void Reset();
}

/// <summary>
/// One publisher's sequence numbers, vLLM's way: batches carry a counter from 0 that increases by one per batch. A first
/// batch after subscribing (PUB/SUB joins late) or a jump ahead triggers a replay request from the next expected number;
/// live batches are held until the replay's end marker, then applied in order. A number at or below the last applied
/// means the publisher restarted (its counter began again): the state is reset and rebuilt the same way. A replay that
/// starts past the expected number (the buffer lost it) or never ends also resets, then continues from what it has.
/// Until the first live batch shows that the subscription has taken effect, the owner's tick calls <see cref="CatchUp"/>.
/// </summary>
internal sealed class KvEventSequencer(ISequencerActions actions)
{
    private readonly SortedDictionary<long, ReadOnlyMemory<byte>> _held = [];
    private long _last = -1;
    private bool _answered;

    /// <summary>Last applied sequence number (−1 before the first).</summary>
    public long Last => _last;

    /// <summary>True while waiting for a replay's end marker.</summary>
    public bool Replaying { get; private set; }

    /// <summary>A live batch has arrived: the subscription is in effect, so from here a gap shows in the numbers.</summary>
    public bool LiveSeen { get; private set; }

    /// <summary>A new subscription: ask for the publisher's whole buffer at once (PUB/SUB drops what was sent before
    /// the connection, and an idle publisher would otherwise never reveal the gap).</summary>
    public void Begin()
    {
        Replaying = true;
        actions.RequestReplay(0);
    }

    /// <summary>Called on the owner's tick. A subscription takes effect some time after it is made, and the first replay
    /// is often answered before that: a batch published in between reaches neither, and an idle publisher sends no later
    /// batch to reveal the gap. So until the first live batch arrives, ask for a replay from the next expected number
    /// again — only while the publisher answers replays (one that stopped answering is not asked again, so requests do
    /// not pile up behind a peer that is gone).</summary>
    public void CatchUp()
    {
        if (LiveSeen || Replaying || !_answered)
            return;
        Replaying = true;
        actions.RequestReplay(_last + 1);
    }

    public void OnLive(long sequence, ReadOnlyMemory<byte> payload)
    {
        LiveSeen = true;
        if (Replaying)
        {
            _held.TryAdd(sequence, payload);
            return;
        }
        if (_last >= 0 && sequence <= _last)
        {
            actions.Reset();
            _last = -1;
        }
        if (sequence == _last + 1)
        {
            actions.Apply(sequence, payload);
            _last = sequence;
            return;
        }
        _held.TryAdd(sequence, payload);
        Replaying = true;
        actions.RequestReplay(_last + 1);
    }

    /// <summary>A replayed batch; <paramref name="sequence"/> −1 is the end marker.</summary>
    public void OnReplay(long sequence, ReadOnlyMemory<byte> payload)
    {
        if (!Replaying)
            return;
        if (sequence < 0)
        {
            _answered = true;
            EndReplay();
            return;
        }
        Accept(sequence, payload);
    }

    /// <summary>The replay did not end in time: continue with what arrived.</summary>
    public void OnReplayTimeout()
    {
        _answered = false;
        if (Replaying)
            EndReplay();
    }

    private void EndReplay()
    {
        Replaying = false;
        foreach (var (sequence, payload) in _held)
            Accept(sequence, payload);
        _held.Clear();
    }

    private void Accept(long sequence, ReadOnlyMemory<byte> payload)
    {
        if (sequence <= _last)
            return;
        if (sequence != _last + 1)
            actions.Reset();
        actions.Apply(sequence, payload);
        _last = sequence;
    }
}
