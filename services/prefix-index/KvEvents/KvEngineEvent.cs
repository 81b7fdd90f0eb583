namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary>Kind of a vLLM KV-cache event (the msgspec tag: the class name).</summary>
internal enum KvEventKind
{
    BlockStored,
    BlockRemoved,
    AllBlocksCleared,
}

/// <summary>One decoded event. Block hashes are the engine's (an integer's 64 bits, or XXH64 of a bytes hash).</summary>
/// <param name="TokenIds">BlockStored: the tokens of every block in <paramref name="BlockHashes"/>, <paramref name="BlockSize"/> each.</param>
internal sealed record KvEngineEvent(KvEventKind Kind, ulong[] BlockHashes, ulong? ParentBlockHash, ulong[] TokenIds, int BlockSize, long? LoraId)
{
    public static KvEngineEvent Cleared { get; } = new(KvEventKind.AllBlocksCleared, [], null, [], 0, null);
}

/// <summary>A decoded <c>KVEventBatch</c>.</summary>
internal sealed record KvEventBatchData(double Timestamp, IReadOnlyList<KvEngineEvent> Events, long? DataParallelRank);
