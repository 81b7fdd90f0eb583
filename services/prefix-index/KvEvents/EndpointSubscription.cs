using System.Buffers.Binary;
using System.Threading.Channels;
using NetMQ;
using NetMQ.Sockets;

namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary>
/// The sockets following one endpoint's publisher: SUB on its PUB socket (frames <c>[topic, seq, payload]</c>) and a DEALER
/// on its ROUTER replay socket (a DEALER rather than vLLM example's REQ, because one request is answered by many
/// messages: <c>[seq, payload]</c>… then <c>[-1, ""]</c>). Sockets live on the consumer's poller thread; received
/// batches go to the writer loop's channel.
/// </summary>
internal sealed class EndpointSubscription : IDisposable
{
    private readonly NetMQPoller _poller;
    private readonly SubscriberSocket _sub;
    private readonly DealerSocket _replay;
    private readonly ChannelWriter<KvEventItem> _out;

    public EndpointSubscription(string endpoint, Uri publisher, Uri replay, string topic, NetMQPoller poller, ChannelWriter<KvEventItem> output)
    {
        Endpoint = endpoint;
        _poller = poller;
        _out = output;
        _sub = new SubscriberSocket();
        _replay = new DealerSocket();
        _sub.Options.ReceiveHighWatermark = 100_000;
        _sub.Options.Linger = TimeSpan.Zero;
        _replay.Options.Linger = TimeSpan.Zero;
        _sub.Connect(publisher.ToString().TrimEnd('/'));
        _sub.Subscribe(topic);
        _replay.Connect(replay.ToString().TrimEnd('/'));
        _sub.ReceiveReady += (_, _) => Receive(_sub, KvEventItemKind.Live, seqFrame: 1);
        _replay.ReceiveReady += (_, _) => Receive(_replay, KvEventItemKind.Replay, seqFrame: 1);
        _poller.Add(_sub);
        _poller.Add(_replay);
        Sequencer = null!;
    }

    public string Endpoint { get; }

    /// <summary>Set once by the owner (the follower that applies this subscription's batches).</summary>
    public KvEventSequencer Sequencer { get; set; }

    /// <summary>Asks for every buffered batch from <paramref name="fromSequence"/> (sent on the poller thread).</summary>
    public void RequestReplay(long fromSequence)
    {
        var seq = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(seq, fromSequence);
        new Task(() => _replay.SendMoreFrameEmpty().SendFrame(seq)).Start(_poller);
    }

    public void Dispose()
    {
        var sub = _sub;
        var replay = _replay;
        new Task(() =>
        {
            _poller.RemoveAndDispose(sub);
            _poller.RemoveAndDispose(replay);
        }).Start(_poller);
    }

    // Poller thread. SUB frames: [topic, seq, payload]; DEALER frames: ["", seq, payload].
    private void Receive(NetMQSocket socket, KvEventItemKind kind, int seqFrame)
    {
        var message = new NetMQMessage();
        while (socket.TryReceiveMultipartMessage(ref message))
        {
            if (message.FrameCount == 3 && message[seqFrame].BufferSize == 8)
            {
                var seq = BinaryPrimitives.ReadInt64BigEndian(message[seqFrame].Buffer);
                // A full queue drops the batch; the gap it leaves is recovered by replay.
                _out.TryWrite(new KvEventItem(kind, this, seq, message[2].ToByteArray()));
            }
            message = new NetMQMessage();
        }
    }
}
