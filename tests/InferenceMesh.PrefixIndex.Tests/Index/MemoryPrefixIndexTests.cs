using InferenceMesh.Prefix.Index;

namespace InferenceMesh.PrefixIndex.Tests.Index;

public sealed class MemoryPrefixIndexTests : PrefixIndexContractTests
{
    protected override Task<IPrefixIndex> CreateAsync(PrefixIndexOptions options) => Task.FromResult(PrefixIndexFactory.CreateMemory(options, Metrics));

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
