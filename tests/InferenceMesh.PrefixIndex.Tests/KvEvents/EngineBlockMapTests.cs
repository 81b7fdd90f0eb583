using InferenceMesh.Prefix.Hashing;
using InferenceMesh.PrefixIndex.KvEvents;

namespace InferenceMesh.PrefixIndex.Tests.KvEvents;

public sealed class EngineBlockMapTests
{
    private static EngineBlockMap NewMap() => new(PrefixHasher.ModelSeed(KvTestText.Model));

    private static KvEngineEvent Stored(ulong[] hashes, ulong? parent, ulong[] tokens, long? lora = null) =>
        new(KvEventKind.BlockStored, hashes, parent, tokens, 16, lora);

    [Fact]
    public void Stored_chain_maps_to_the_prompt_block_hashes_of_the_same_text()
    {
        var text = KvTestText.Prompt(1, 3);
        var engine = KvTestText.EngineHashes(1, 3);
        var map = NewMap();
        // Two events, as an engine computing the prompt in two chunks sends them.
        map.Apply(Stored(engine[..2], null, KvTestText.Tokens(text, 0, 2)));
        map.Apply(Stored(engine[2..], engine[1], KvTestText.Tokens(text, 2, 3)));
        Assert.Equal(KvTestText.PromptHashes(text).Order(), map.PromptHashes.Order());
        var changes = map.TakeChanges();
        Assert.Equal(3, changes.Add.Count);
        Assert.Empty(map.TakeChanges().Add);
    }

    [Fact]
    public void Block_with_an_unknown_parent_or_a_lora_stays_unmapped_but_its_removal_is_understood()
    {
        var text = KvTestText.Prompt(2, 2);
        var engine = KvTestText.EngineHashes(2, 2);
        var map = NewMap();
        map.Apply(Stored([engine[1]], 12345UL, KvTestText.Tokens(text, 1, 2)));
        map.Apply(Stored([engine[0]], null, KvTestText.Tokens(text, 0, 1), lora: 1));
        Assert.Equal(2, map.EngineBlocks);
        Assert.Equal(0, map.PromptBlocks);
        map.Apply(new KvEngineEvent(KvEventKind.BlockRemoved, [engine[1]], null, [], 0, null));
        Assert.Equal(1, map.EngineBlocks);
    }

    [Fact]
    public void Removal_takes_the_block_out_and_reports_it()
    {
        var text = KvTestText.Prompt(3, 2);
        var engine = KvTestText.EngineHashes(3, 2);
        var prompt = KvTestText.PromptHashes(text);
        var map = NewMap();
        map.Apply(Stored(engine, null, KvTestText.Tokens(text, 0, 2)));
        map.TakeChanges();
        map.Apply(new KvEngineEvent(KvEventKind.BlockRemoved, [engine[1]], null, [], 0, null));
        var changes = map.TakeChanges();
        Assert.False(changes.ClearFirst);
        Assert.Equal([prompt[1]], changes.Remove);
        Assert.True(map.Holds(prompt[0]));
        Assert.False(map.Holds(prompt[1]));
    }

    [Fact]
    public void Cleared_empties_the_set_and_asks_for_a_clear_first()
    {
        var text = KvTestText.Prompt(4, 1);
        var map = NewMap();
        map.Apply(Stored(KvTestText.EngineHashes(4, 1), null, KvTestText.Tokens(text, 0, 1)));
        map.Apply(KvEngineEvent.Cleared);
        var changes = map.TakeChanges();
        Assert.True(changes.ClearFirst);
        Assert.Empty(changes.Add);
        Assert.Equal(0, map.PromptBlocks);
    }

    [Fact]
    public void Block_whose_tokens_spell_a_surrogate_stays_unmapped()
    {
        var text = KvTestText.Prompt(5, 1).ToCharArray();
        text[10] = '\uD83D';
        var map = NewMap();
        map.Apply(Stored(KvTestText.EngineHashes(5, 1), null, KvTestText.Tokens(new string(text), 0, 1)));
        Assert.Equal(0, map.PromptBlocks);
    }
}
