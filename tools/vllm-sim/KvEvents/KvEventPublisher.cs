using System.Buffers.Binary;
using NetMQ;
using NetMQ.Sockets;

namespace InferenceMesh.VllmSim.KvEvents;

/// <summary>
/// One server's KV-event publisher, vLLM's <c>ZmqEventPublisher</c> on NetMQ: a PUB socket sending multipart
/// <c>[topic, seq (8 bytes big-endian), payload]</c>, and a ROUTER socket answering <c>[id, "", start seq]</c> with every
/// buffered batch from there as <c>[id, "", seq, payload]</c>, then <c>[id, "", -1, ""]</c>. Events arrive on the engine's
/// thread and are grouped per engine step (a new simulated timestamp starts a new batch; a 10 ms timer flushes the last);
/// sockets live on one poller thread.
/// </summary>
public sealed class KvEventPublisher : IKvEventSink, IDisposable
{
    /// <summary>Batches kept for replay (vLLM's default <c>buffer_steps</c>).</summary>
    public const int DefaultBufferSteps = 10_000;

    private static readonly byte[] EndOfReplay = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    private readonly Lock _gate = new();
    private readonly KvEventBatch _batch;
    private readonly Dictionary<string, int> _loraIds = new(StringComparer.Ordinal);
    private readonly PublisherSocket _pub;
    private readonly RouterSocket _router;
    private readonly NetMQQueue<byte[]> _outgoing = new();
    private readonly NetMQTimer _flushTimer = new(TimeSpan.FromMilliseconds(10));
    private readonly NetMQPoller _poller;
    private readonly Queue<(long Seq, byte[] Payload)> _buffer = new();
    private readonly byte[] _topic;
    private readonly int _bufferSteps;
    private long _nextSeq;
    private long _published;

    /// <summary>Binds PUB on <paramref name="publisherPort"/> and ROUTER on <paramref name="replayPort"/> at
    /// <paramref name="host"/> (port 0: an ephemeral port, see <see cref="PublisherPort"/>).</summary>
    public KvEventPublisher(string host, int publisherPort, int replayPort, string topic, IReadOnlyList<LoraModule> loraModules,
        int blockSize = SimPrompt.BlockSize, int bufferSteps = DefaultBufferSteps)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(loraModules);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSteps, 1);
        _batch = new KvEventBatch(blockSize);
        _topic = System.Text.Encoding.UTF8.GetBytes(topic);
        _bufferSteps = bufferSteps;
        // vLLM's lora_id is the adapter's integer id; ours is its position among the served modules, from 1.
        for (var i = 0; i < loraModules.Count; i++)
            _loraIds.TryAdd(loraModules[i].Name, i + 1);
        _pub = new PublisherSocket();
        _router = new RouterSocket();
        try
        {
            _pub.Options.SendHighWatermark = 100_000;
            PublisherPort = Bind(_pub, host, publisherPort);
            ReplayPort = Bind(_router, host, replayPort);
        }
        catch
        {
            _pub.Dispose();
            _router.Dispose();
            throw;
        }
        _outgoing.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var payload, TimeSpan.Zero))
                Send(payload);
        };
        _router.ReceiveReady += (_, _) => ServeReplay();
        _flushTimer.Elapsed += (_, _) => Flush();
        _poller = [_pub, _router, _outgoing, _flushTimer];
        _poller.RunAsync("kv-events", isBackgroundThread: true);
    }

    /// <summary>Bound PUB port.</summary>
    public int PublisherPort { get; }

    /// <summary>Bound ROUTER (replay) port.</summary>
    public int ReplayPort { get; }

    /// <summary>Batches sent so far (the next sequence number).</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <inheritdoc />
    public void BlockStored(double nowMs, ulong blockHash, ulong? parentBlockHash, ReadOnlySpan<ulong> tokenIds, string? loraName)
    {
        int? lora = loraName is not null && _loraIds.TryGetValue(loraName, out var id) ? id : null;
        lock (_gate)
        {
            StartStep(nowMs);
            _batch.AddStored(nowMs, blockHash, parentBlockHash, tokenIds, lora);
        }
    }

    /// <inheritdoc />
    public void BlockRemoved(double nowMs, ulong blockHash)
    {
        lock (_gate)
        {
            StartStep(nowMs);
            _batch.AddRemoved(nowMs, blockHash);
        }
    }

    /// <inheritdoc />
    public void AllBlocksCleared(double nowMs)
    {
        lock (_gate)
        {
            StartStep(nowMs);
            _batch.AddCleared(nowMs);
        }
    }

    /// <summary>Sends the pending batch now (tests; the timer does it otherwise).</summary>
    public void Flush()
    {
        byte[]? payload = null;
        lock (_gate)
        {
            if (_batch.Count > 0)
                payload = _batch.Encode();
        }
        if (payload is not null)
            _outgoing.Enqueue(payload);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _poller.Stop();
        _poller.Dispose();
        _outgoing.Dispose();
        _pub.Dispose();
        _router.Dispose();
    }

    private static int Bind(NetMQSocket socket, string host, int port)
    {
        if (port != 0)
        {
            socket.Bind($"tcp://{host}:{port}");
            return port;
        }
        return socket.BindRandomPort($"tcp://{host}");
    }

    // Under _gate: an event of a later step closes the batch of the earlier one.
    private void StartStep(double nowMs)
    {
        if (_batch.Count > 0 && nowMs != _batch.StartMs)
            _outgoing.Enqueue(_batch.Encode());
    }

    // Poller thread only.
    private void Send(byte[] payload)
    {
        var seq = _nextSeq++;
        var seqBytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(seqBytes, seq);
        _pub.SendMoreFrame(_topic).SendMoreFrame(seqBytes).SendFrame(payload);
        _buffer.Enqueue((seq, payload));
        if (_buffer.Count > _bufferSteps)
            _buffer.Dequeue();
        Interlocked.Exchange(ref _published, _nextSeq);
    }

    // Poller thread only: [id, "", start] → every buffered batch from start, then the end marker.
    private void ServeReplay()
    {
        var request = new NetMQMessage();
        while (_router.TryReceiveMultipartMessage(ref request))
        {
            if (request.FrameCount != 3 || request[2].BufferSize != 8)
                continue;
            var identity = request[0].ToByteArray();
            var start = BinaryPrimitives.ReadInt64BigEndian(request[2].Buffer);
            foreach (var (seq, payload) in _buffer)
            {
                if (seq < start)
                    continue;
                var seqBytes = new byte[8];
                BinaryPrimitives.WriteInt64BigEndian(seqBytes, seq);
                _router.SendMoreFrame(identity).SendMoreFrameEmpty().SendMoreFrame(seqBytes).SendFrame(payload);
            }
            _router.SendMoreFrame(identity).SendMoreFrameEmpty().SendMoreFrame(EndOfReplay).SendFrame([]);
        }
    }
}
