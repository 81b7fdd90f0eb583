namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary>One endpoint this replica writes (it holds the lease): its subscription, sequencer and block map. Used only
/// by the consumer's writer loop.</summary>
internal sealed class EndpointFollower : ISequencerActions, IDisposable
{
    private readonly Action<EndpointFollower, long> _requestReplay;
    private readonly Action<EndpointFollower, Exception> _badBatch;

    public EndpointFollower(EndpointSubscription subscription, EngineBlockMap map, Action<EndpointFollower, long> requestReplay,
        Action<EndpointFollower, Exception> badBatch)
    {
        Subscription = subscription;
        Map = map;
        _requestReplay = requestReplay;
        _badBatch = badBatch;
        Sequencer = new KvEventSequencer(this);
        subscription.Sequencer = Sequencer;
        // A new writer starts from an empty set: the replay rebuilds it.
        Map.Clear();
    }

    /// <summary>Starts the catch-up replay; call once the follower is registered (its replay answers must find it).</summary>
    public void Begin() => Sequencer.Begin();

    public EndpointSubscription Subscription { get; }

    public EngineBlockMap Map { get; }

    public KvEventSequencer Sequencer { get; }

    public string Endpoint => Subscription.Endpoint;

    /// <summary>Incremented per replay request, so a stale timeout is ignored.</summary>
    public long ReplayId { get; private set; }

    /// <summary>The publisher has answered (a live batch or a replay reply): until then nothing is written for the
    /// endpoint and it is not marked followed, so a server that publishes no events keeps the approximate fallback.</summary>
    public bool Heard { get; set; }

    public long BatchesApplied { get; private set; }

    public long Resets { get; private set; }

    public void Apply(long sequence, ReadOnlyMemory<byte> payload)
    {
        KvEventBatchData batch;
        try
        {
            batch = KvEventBatchReader.Read(payload);
        }
        catch (Exception ex) when (ex is FormatException or MessagePack.MessagePackSerializationException or InvalidOperationException or OverflowException)
        {
            // A batch we cannot read leaves the set unsure: start over from what follows.
            _badBatch(this, ex);
            Map.Clear();
            Resets++;
            return;
        }
        foreach (var e in batch.Events)
            Map.Apply(e);
        BatchesApplied++;
    }

    public void RequestReplay(long fromSequence)
    {
        ReplayId++;
        _requestReplay(this, fromSequence);
    }

    public void Reset()
    {
        Map.Clear();
        Resets++;
    }

    public void Dispose() => Subscription.Dispose();
}
