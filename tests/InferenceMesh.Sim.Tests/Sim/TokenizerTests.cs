using InferenceMesh.VllmSim;

namespace InferenceMesh.Sim.Tests.Sim;

public sealed class TokenizerTests
{
    [Fact]
    public void Tokenizer_IsStableAcrossProcesses()
    {
        // Pinned values: these must never change, or prompts hash differently between the bench and the servers.
        Assert.Equal(3, SimTokenizer.CountTokens("hello world"));
        Assert.Equal(0x0068_0065_006C_006CUL, SimTokenizer.Tokenize("hello world")[0]);
        var prompt = SimPrompt.FromText(new string('a', 64));
        Assert.Equal(1, prompt.BlockHashes.Length);
        Assert.Equal(17315722880732532847UL, prompt.BlockHashes[0]);
        Assert.Equal(3717314199544927459UL, SimPrompt.FromHashIds([46, 47], 700).BlockHashes[^1]);
    }

    [Fact]
    public void HashIdText_TokenizesToTheSameBlocks_AsFromHashIds()
    {
        long[] ids = [46, 47, 48, 9001];
        const int inputLength = 1800;   // 3.5 hash ids' worth
        var text = SimTokenizer.HashIdText(ids, inputLength);
        Assert.Equal(inputLength * 4, text.Length);
        var fromText = SimPrompt.FromText(text);
        var direct = SimPrompt.FromHashIds(ids, inputLength);
        Assert.Equal(inputLength, direct.TokenCount);
        Assert.Equal(inputLength, fromText.TokenCount);
        Assert.True(fromText.BlockHashes.SequenceEqual(direct.BlockHashes));
    }

    [Fact]
    public void SharedHashIds_ShareBlocks_ThenDiverge()
    {
        var a = SimPrompt.FromHashIds([1, 2, 3], 1536);
        var b = SimPrompt.FromHashIds([1, 2, 4], 1536);
        Assert.True(a.BlockHashes[..64].SequenceEqual(b.BlockHashes[..64]));
        Assert.NotEqual(a.BlockHashes[64], b.BlockHashes[64]);
        // Block hashes are chained: a different first id changes every later block.
        var c = SimPrompt.FromHashIds([9, 2, 3], 1536);
        Assert.NotEqual(a.BlockHashes[95], c.BlockHashes[95]);
    }

    [Fact]
    public void ShortHashIdLists_AreExtendedDeterministically()
    {
        var a = SimPrompt.FromHashIds([5], 1200);
        var b = SimPrompt.FromHashIds([5], 1200);
        Assert.Equal(75, a.BlockHashes.Length);
        Assert.True(a.BlockHashes.SequenceEqual(b.BlockHashes));
    }

    [Fact]
    public void AppendingText_KeepsEarlierBlocks()
    {
        var history = new string('h', 640) + "question one";
        var a = SimPrompt.FromText(history);
        var b = SimPrompt.FromText(history + " answer and question two, long enough to fill more blocks than before....");
        Assert.True(b.BlockHashes[..a.BlockHashes.Length].SequenceEqual(a.BlockHashes));
    }
}
