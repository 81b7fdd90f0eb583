using InferenceMesh.VllmSim;
using static InferenceMesh.Sim.Tests.Sim.SimTestKit;

namespace InferenceMesh.Sim.Tests.Sim;

public sealed class KvEventsTests
{
    private sealed class RecordingSink : IKvEventSink
    {
        public HashSet<ulong> Held { get; } = [];

        public List<(ulong Hash, ulong? Parent, ulong[] Tokens)> Stored { get; } = [];

        public int Removed { get; private set; }

        public int Cleared { get; private set; }

        public void BlockStored(double nowMs, ulong blockHash, ulong? parentBlockHash, ReadOnlySpan<ulong> tokenIds, string? loraName)
        {
            Assert.True(Held.Add(blockHash), "a block reported stored twice without a removal");
            Stored.Add((blockHash, parentBlockHash, tokenIds.ToArray()));
        }

        public void BlockRemoved(double nowMs, ulong blockHash)
        {
            Assert.True(Held.Remove(blockHash), "a removal of a block never stored");
            Removed++;
        }

        public void AllBlocksCleared(double nowMs)
        {
            Held.Clear();
            Cleared++;
        }
    }

    [Fact]
    public void Stored_minus_removed_is_the_engines_cache_through_evictions()
    {
        // 200 blocks against 10 distinct 1,000-token prompts (63 blocks each): most get evicted.
        var server = Server(SimProfile.L20 with { NumGpuBlocks = 200 });
        var sink = new RecordingSink();
        server.KvEvents = sink;
        for (var i = 0; i < 10; i++)
        {
            server.Submit(Request($"r{i}", Text($"p{i}", 1000), 4));
            server.RunUntilIdle();
        }
        Assert.True(sink.Removed > 0, "the workload should evict");
        Assert.Equal(server.CachedBlocks, sink.Held.Count);
    }

    [Fact]
    public void Stored_blocks_carry_their_tokens_and_their_parent()
    {
        var server = Server();
        var sink = new RecordingSink();
        server.KvEvents = sink;
        var prompt = Text("chain", 100);
        server.Submit(Request("r", prompt, 2));
        server.RunUntilIdle();
        // 100 tokens: 6 full blocks, all but the last token's block cacheable.
        Assert.Equal(6, sink.Stored.Count);
        Span<ulong> tokens = stackalloc ulong[SimPrompt.BlockSize];
        for (var b = 0; b < sink.Stored.Count; b++)
        {
            Assert.Equal(prompt.BlockHashes[b], sink.Stored[b].Hash);
            Assert.Equal(b == 0 ? null : prompt.BlockHashes[b - 1], sink.Stored[b].Parent);
            Assert.True(prompt.TryWriteBlockTokens(b, tokens));
            Assert.Equal(tokens.ToArray(), sink.Stored[b].Tokens);
        }
    }

    [Fact]
    public void ResetPrefixCache_clears_when_idle_and_refuses_while_busy()
    {
        var server = Server();
        var sink = new RecordingSink();
        server.KvEvents = sink;
        server.Submit(Request("r", Text("busy", 200), 50));
        server.AdvanceTo(server.NowMs + 100);
        Assert.False(server.ResetPrefixCache());
        server.RunUntilIdle();
        Assert.True(server.ResetPrefixCache());
        Assert.Equal(1, sink.Cleared);
        Assert.Equal(0, server.CachedBlocks);
        Assert.Equal(0, server.CachedPrefixTokens(Text("busy", 200)));
    }

    [Fact]
    public void ForceResetPrefixCache_while_busy_preempts_the_running_requests_clears_and_they_still_finish()
    {
        var server = Server();
        var sink = new RecordingSink();
        server.KvEvents = sink;
        var cached = Text("cached", 400);
        server.Submit(Request("first", cached, 2));
        server.RunUntilIdle();
        server.Submit(Request("r", Text("busy", 600), 50));
        server.AdvanceTo(server.NowMs + 200);
        Assert.True(server.NumRunning > 0 && server.CachedBlocks > 0);

        server.ForceResetPrefixCache();
        // Applied between steps: the step in flight ends first.
        server.RunNextEvent();
        Assert.Equal(1, sink.Cleared);
        Assert.Equal(1, server.ForcedResets);
        Assert.Equal(1, server.Preemptions);
        Assert.Equal(0, server.CachedPrefixTokens(cached));
        server.RunUntilIdle();
        Assert.Equal(2, server.RequestsFinished);
        Assert.Equal(server.CachedBlocks, sink.Held.Count);
    }
}
