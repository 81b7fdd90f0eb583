using System.Text;
using InferenceMesh.Prefix.Hashing;

namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary>
/// One endpoint's cache as its engine reports it, translated into our prompt-block hashes. The engine's block hashes are
/// its own (vLLM's cannot be computed outside vLLM), so each stored block is mapped through its <c>token_ids</c>: the
/// simulator's tokenizer packs 4 UTF-16 characters into a token id, so a 16-token block spells 64 characters, exactly one
/// prompt block of <see cref="PrefixHasher"/>; its prompt hash is <c>XXH64(UTF8(chars) ‖ LE64(prompt hash of the parent
/// block))</c>, the chain starting at the model's seed when the block has no parent. A block whose parent is unknown or
/// unmapped, whose tokens do not spell 64 plain characters, or that belongs to a LoRA adapter (an id, not a name) stays
/// unmapped: tracked (so its removal is understood) but not in the exact set. Changes accumulate until
/// <see cref="TakeChanges"/>. Not thread-safe: one writer per endpoint.
/// </summary>
internal sealed class EngineBlockMap
{
    private const ulong Unmapped = 0;
    private readonly ulong _modelSeed;
    private readonly int _blockCharacters;
    private readonly Dictionary<ulong, ulong> _engineToPrompt = [];
    private readonly Dictionary<ulong, int> _promptRefs = [];
    private readonly HashSet<ulong> _dirty = [];
    private bool _cleared;

    public EngineBlockMap(ulong modelSeed, int blockCharacters = PrefixHasher.DefaultBlockCharacters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCharacters, 1);
        _modelSeed = modelSeed;
        _blockCharacters = blockCharacters;
    }

    /// <summary>Engine blocks known (mapped or not).</summary>
    public int EngineBlocks => _engineToPrompt.Count;

    /// <summary>Distinct prompt blocks held: the exact set.</summary>
    public int PromptBlocks => _promptRefs.Count;

    /// <summary>True when the prompt block is in the exact set.</summary>
    public bool Holds(ulong promptHash) => _promptRefs.ContainsKey(promptHash);

    /// <summary>The exact set (tests and rebuilds).</summary>
    public IReadOnlyCollection<ulong> PromptHashes => _promptRefs.Keys;

    public void Apply(KvEngineEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e.Kind)
        {
            case KvEventKind.BlockStored:
                Store(e);
                break;
            case KvEventKind.BlockRemoved:
                foreach (var h in e.BlockHashes)
                    Remove(h);
                break;
            default:
                Clear();
                break;
        }
    }

    /// <summary>Forgets everything (AllBlocksCleared, a publisher restart, an unrecoverable gap).</summary>
    public void Clear()
    {
        _engineToPrompt.Clear();
        _promptRefs.Clear();
        _dirty.Clear();
        _cleared = true;
    }

    /// <summary>After a failed write: the next <see cref="TakeChanges"/> rewrites the whole set.</summary>
    public void MarkAllDirty()
    {
        _cleared = true;
        foreach (var h in _promptRefs.Keys)
            _dirty.Add(h);
    }

    /// <summary>What changed since the last call: whether the stored set must be emptied first, then the prompt hashes
    /// to add and to remove.</summary>
    public ExactSetChanges TakeChanges()
    {
        var add = new List<ulong>();
        var remove = new List<ulong>();
        foreach (var h in _dirty)
        {
            if (_promptRefs.ContainsKey(h))
                add.Add(h);
            else if (!_cleared)
                remove.Add(h);
        }
        var changes = new ExactSetChanges(_cleared, add, remove);
        _dirty.Clear();
        _cleared = false;
        return changes;
    }

    private void Store(KvEngineEvent e)
    {
        var parent = e.ParentBlockHash;
        var tokens = e.TokenIds.AsSpan();
        for (var k = 0; k < e.BlockHashes.Length; k++)
        {
            var engineHash = e.BlockHashes[k];
            var previous = parent is null ? _modelSeed : _engineToPrompt.GetValueOrDefault(parent.Value, Unmapped);
            var prompt = Unmapped;
            if (previous != Unmapped && e.LoraId is null && e.BlockSize > 0 && tokens.Length >= (k + 1) * e.BlockSize)
                prompt = PromptHash(tokens.Slice(k * e.BlockSize, e.BlockSize), previous);
            Remove(engineHash);
            _engineToPrompt[engineHash] = prompt;
            if (prompt != Unmapped)
            {
                _promptRefs[prompt] = _promptRefs.GetValueOrDefault(prompt) + 1;
                _dirty.Add(prompt);
            }
            parent = engineHash;
        }
    }

    private void Remove(ulong engineHash)
    {
        if (!_engineToPrompt.Remove(engineHash, out var prompt) || prompt == Unmapped)
            return;
        var refs = _promptRefs[prompt] - 1;
        if (refs == 0)
            _promptRefs.Remove(prompt);
        else
            _promptRefs[prompt] = refs;
        _dirty.Add(prompt);
    }

    // The block's characters from its token ids (4 UTF-16 units each, high unit first), then one chain step.
    private ulong PromptHash(ReadOnlySpan<ulong> tokens, ulong previous)
    {
        if (tokens.Length * 4 != _blockCharacters)
            return Unmapped;
        // Options cap a block at 1,024 characters, so both buffers fit the stack.
        Span<char> chars = stackalloc char[_blockCharacters];
        for (var t = 0; t < tokens.Length; t++)
        {
            for (var c = 0; c < 4; c++)
            {
                var ch = (char)(tokens[t] >> (48 - (16 * c)));
                if (char.IsSurrogate(ch))
                    return Unmapped;
                chars[(t * 4) + c] = ch;
            }
        }
        Span<byte> utf8 = stackalloc byte[_blockCharacters * 3];
        var length = Encoding.UTF8.GetBytes(chars, utf8);
        Span<ulong> one = stackalloc ulong[1];
        var hash = PrefixHasher.Compute(utf8[..length], previous, one, _blockCharacters) == 1 ? one[0] : Unmapped;
        return hash;
    }
}

/// <summary>A change to one endpoint's exact set.</summary>
/// <param name="ClearFirst">Empty the stored set before applying the rest.</param>
internal sealed record ExactSetChanges(bool ClearFirst, IReadOnlyList<ulong> Add, IReadOnlyList<ulong> Remove)
{
    public bool IsEmpty => !ClearFirst && Add.Count == 0 && Remove.Count == 0;
}
