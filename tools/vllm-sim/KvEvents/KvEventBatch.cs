using System.Buffers;
using MessagePack;

namespace InferenceMesh.VllmSim.KvEvents;

/// <summary>The events of one engine step, encoded as vLLM's <c>KVEventBatch</c>: msgpack, array-like, tagged —
/// <c>[ts, [event…], data_parallel_rank]</c> with <c>["BlockStored", block_hashes, parent_block_hash, token_ids,
/// block_size, lora_id, medium]</c>, <c>["BlockRemoved", block_hashes, medium]</c> and <c>["AllBlocksCleared"]</c>
/// (field order of <c>vllm/distributed/kv_events.py</c>). Consecutive stores that continue one chain share an event, as
/// vLLM sends one <c>BlockStored</c> per request per step; so do consecutive removals.</summary>
internal sealed class KvEventBatch
{
    private const string Medium = "GPU";
    private readonly List<Pending> _events = [];
    private readonly int _blockSize;

    public KvEventBatch(int blockSize) => _blockSize = blockSize;

    public int Count => _events.Count;

    /// <summary>Simulated time of the batch's first event, ms.</summary>
    public double StartMs { get; private set; }

    public void AddStored(double nowMs, ulong hash, ulong? parent, ReadOnlySpan<ulong> tokens, int? loraId)
    {
        Begin(nowMs);
        if (_events.Count > 0 && _events[^1] is { Kind: Kind.Stored } last && last.LoraId == loraId
            && last.Hashes[^1] == parent && last.Tokens.Count == last.Hashes.Count * _blockSize && tokens.Length == _blockSize)
        {
            last.Hashes.Add(hash);
            AddTokens(last.Tokens, tokens);
            return;
        }
        var e = new Pending(Kind.Stored) { Parent = parent, LoraId = loraId };
        e.Hashes.Add(hash);
        AddTokens(e.Tokens, tokens);
        _events.Add(e);
    }

    public void AddRemoved(double nowMs, ulong hash)
    {
        Begin(nowMs);
        if (_events.Count > 0 && _events[^1] is { Kind: Kind.Removed } last)
        {
            last.Hashes.Add(hash);
            return;
        }
        var e = new Pending(Kind.Removed);
        e.Hashes.Add(hash);
        _events.Add(e);
    }

    public void AddCleared(double nowMs)
    {
        Begin(nowMs);
        _events.Add(new Pending(Kind.Cleared));
    }

    /// <summary>Encodes the batch (timestamp in simulated seconds, data-parallel rank 0) and empties it.</summary>
    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(3);
        w.Write(StartMs / 1000.0);
        w.WriteArrayHeader(_events.Count);
        foreach (var e in _events)
        {
            switch (e.Kind)
            {
                case Kind.Stored:
                    w.WriteArrayHeader(7);
                    w.Write("BlockStored");
                    WriteList(ref w, e.Hashes);
                    if (e.Parent is { } p)
                        w.Write(p);
                    else
                        w.WriteNil();
                    WriteList(ref w, e.Tokens);
                    w.Write(_blockSize);
                    if (e.LoraId is { } l)
                        w.Write(l);
                    else
                        w.WriteNil();
                    w.Write(Medium);
                    break;
                case Kind.Removed:
                    w.WriteArrayHeader(3);
                    w.Write("BlockRemoved");
                    WriteList(ref w, e.Hashes);
                    w.Write(Medium);
                    break;
                default:
                    w.WriteArrayHeader(1);
                    w.Write("AllBlocksCleared");
                    break;
            }
        }
        w.Write(0);
        w.Flush();
        _events.Clear();
        return buffer.WrittenSpan.ToArray();
    }

    private void Begin(double nowMs)
    {
        if (_events.Count == 0)
            StartMs = nowMs;
    }

    private static void AddTokens(List<ulong> list, ReadOnlySpan<ulong> tokens)
    {
        foreach (var t in tokens)
            list.Add(t);
    }

    private static void WriteList(ref MessagePackWriter w, List<ulong> values)
    {
        w.WriteArrayHeader(values.Count);
        foreach (var v in values)
            w.Write(v);
    }

    private enum Kind
    {
        Stored,
        Removed,
        Cleared,
    }

    private sealed class Pending(Kind kind)
    {
        public Kind Kind { get; } = kind;

        public List<ulong> Hashes { get; } = [];

        public List<ulong> Tokens { get; } = [];

        public ulong? Parent { get; init; }

        public int? LoraId { get; init; }
    }
}
