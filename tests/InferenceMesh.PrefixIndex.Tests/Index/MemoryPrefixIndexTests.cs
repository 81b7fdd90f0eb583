using InferenceMesh.Prefix.Index;

namespace InferenceMesh.PrefixIndex.Tests.Index;

public sealed class MemoryPrefixIndexTests : PrefixIndexContractTests
{
    protected override Task<IPrefixIndex> CreateAsync(PrefixIndexOptions options) => Task.FromResult(PrefixIndexFactory.CreateMemory(options, Metrics));

    // Only the in-process index scans every block: the redis backend finds the leading run by binary search, which
    // relies on records being whole chains from their first block (see RedisPrefixScripts).
    [Fact]
    public async Task Match_AChainWithAHole_CountsOnlyLeadingBlocks()
    {
        var index = PrefixIndexFactory.CreateMemory(new PrefixIndexOptions(), Metrics);
        var chain = new ulong[] { 11, 12, 13, 14, 15, 16 };
        await index.RecordAsync("m", "a", new ulong[] { 11, 12, 14, 15 }, default);
        Assert.Equal(new[] { 2 }, await index.MatchAsync("m", chain, ["a"], default));
    }

    [Fact]
    public async Task SetCapacity_Shrinking_EvictsAtOnce()
    {
        var index = PrefixIndexFactory.CreateMemory(new PrefixIndexOptions(), Metrics);
        var chain = new ulong[] { 1, 2, 3, 4, 5 };
        await index.RecordAsync("m", "a", chain, default);
        await index.SetCapacityAsync("a", 2, default);
        Assert.Equal(new[] { 2 }, await index.MatchAsync("m", chain, ["a"], default));
        Assert.Equal(3, (await index.StatsAsync(default)).Evictions);
    }
}
