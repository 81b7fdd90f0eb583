using System.Buffers;
using System.IO.Hashing;
using MessagePack;

namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary>Decodes vLLM's <c>KVEventBatch</c> payload (msgspec msgpack, <c>array_like</c>, tagged by class name):
/// <c>[ts, [event…], data_parallel_rank?]</c>; <c>["BlockStored", block_hashes, parent_block_hash, token_ids, block_size,
/// lora_id, medium?, …]</c>, <c>["BlockRemoved", block_hashes, medium?, …]</c>, <c>["AllBlocksCleared"]</c>. Fields newer
/// vLLM appends (<c>lora_name</c>, <c>extra_keys</c>, <c>group_idx</c>, …) are skipped; unknown event tags are skipped.
/// Block hashes may be integers (vLLM ≤ 0.9) or bytes (sha256 hashes), which are folded to 64 bits with XXH64.</summary>
internal static class KvEventBatchReader
{
    /// <summary>Decodes one payload; throws <see cref="MessagePackSerializationException"/> or
    /// <see cref="FormatException"/> on a malformed one.</summary>
    public static KvEventBatchData Read(ReadOnlyMemory<byte> payload)
    {
        var r = new MessagePackReader(payload);
        var fields = r.ReadArrayHeader();
        if (fields < 2)
            throw new FormatException("a KVEventBatch has at least ts and events");
        var ts = r.ReadDouble();
        var count = r.ReadArrayHeader();
        var events = new List<KvEngineEvent>(count);
        for (var i = 0; i < count; i++)
        {
            if (ReadEvent(ref r) is { } e)
                events.Add(e);
        }
        long? rank = null;
        if (fields > 2)
            rank = r.TryReadNil() ? null : r.ReadInt64();
        for (var i = 3; i < fields; i++)
            r.Skip();
        return new KvEventBatchData(ts, events, rank);
    }

    private static KvEngineEvent? ReadEvent(ref MessagePackReader r)
    {
        var fields = r.ReadArrayHeader();
        if (fields < 1)
            throw new FormatException("an event has at least its tag");
        var tag = r.ReadString();
        KvEngineEvent? result;
        var used = 1;
        switch (tag)
        {
            case "BlockStored":
                if (fields < 6)
                    throw new FormatException("BlockStored has block_hashes, parent_block_hash, token_ids, block_size, lora_id");
                var hashes = ReadHashes(ref r);
                ulong? parent = r.TryReadNil() ? null : ReadHash(ref r);
                var tokens = ReadTokens(ref r);
                var blockSize = r.ReadInt32();
                long? lora = r.TryReadNil() ? null : r.ReadInt64();
                used = 6;
                result = new KvEngineEvent(KvEventKind.BlockStored, hashes, parent, tokens, blockSize, lora);
                break;
            case "BlockRemoved":
                if (fields < 2)
                    throw new FormatException("BlockRemoved has block_hashes");
                result = new KvEngineEvent(KvEventKind.BlockRemoved, ReadHashes(ref r), null, [], 0, null);
                used = 2;
                break;
            case "AllBlocksCleared":
                result = KvEngineEvent.Cleared;
                break;
            default:
                result = null;
                break;
        }
        for (var i = used; i < fields; i++)
            r.Skip();
        return result;
    }

    private static ulong[] ReadHashes(ref MessagePackReader r)
    {
        var n = r.ReadArrayHeader();
        var hashes = new ulong[n];
        for (var i = 0; i < n; i++)
            hashes[i] = ReadHash(ref r);
        return hashes;
    }

    private static ulong ReadHash(ref MessagePackReader r)
    {
        if (r.NextMessagePackType == MessagePackType.Binary)
        {
            var bytes = r.ReadBytes()!.Value;
            return bytes.IsSingleSegment ? XxHash64.HashToUInt64(bytes.FirstSpan) : XxHash64.HashToUInt64(bytes.ToArray());
        }
        return ReadUInt64Bits(ref r);
    }

    private static ulong[] ReadTokens(ref MessagePackReader r)
    {
        var n = r.ReadArrayHeader();
        var tokens = new ulong[n];
        for (var i = 0; i < n; i++)
            tokens[i] = ReadUInt64Bits(ref r);
        return tokens;
    }

    // Python ints: negative ones (hash() results) arrive as int64, large positive ones as uint64; keep the 64 bits.
    private static ulong ReadUInt64Bits(ref MessagePackReader r) =>
        r.NextCode == MessagePackCode.UInt64 ? r.ReadUInt64() : unchecked((ulong)r.ReadInt64());
}
