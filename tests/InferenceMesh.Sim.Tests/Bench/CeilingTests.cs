using InferenceMesh.Bench.Ceiling;
using InferenceMesh.Bench.Cli;

namespace InferenceMesh.Sim.Tests.Bench;

public sealed class CeilingTests
{
    // ids [1,2,3], [1,2,4], [5], [1,2,3]: 10 blocks.
    private static readonly (int, long[])[] Trace =
    [
        (1536, [1, 2, 3]),
        (1536, [1, 2, 4]),
        (512, [5]),
        (1536, [1, 2, 3]),
    ];

    [Fact]
    public void InfiniteCache_CountsEveryBlockSeenBefore()
    {
        // r2 hits 1,2; r4 hits 1,2,3 → 5 of 10.
        var c = ReuseCeiling.Compute(ReuseCeiling.FromHashIds(Trace), 0, 512);
        Assert.Equal(10, c.Blocks);
        Assert.Equal(5, c.HitBlocks);
        Assert.Equal(0.5, c.BlockReuse);
        Assert.Equal(0.5, c.TokenReuse);
        Assert.Equal("infinite", c.Cache);
    }

    [Fact]
    public void PooledLru_EvictsTheLeastRecentlyUsedTailFirst()
    {
        // Capacity 3: after r1 {1,2,3}; r2 hits 1,2 and 4 evicts 3; r3 misses and 5 evicts 4; r4 hits 1,2, misses 3 → 4 of 10.
        var c = ReuseCeiling.Compute(ReuseCeiling.FromHashIds(Trace), 3, 512);
        Assert.Equal(4, c.HitBlocks);
        Assert.Equal(0.4, c.BlockReuse);
        Assert.Equal("pooled-lru", c.Cache);
        Assert.True(c.Evictions >= 3);
    }

    [Fact]
    public void TokenReuse_WeighsAPartialLastBlockByItsTokens()
    {
        (int, long[])[] rows = [(600, [1, 2]), (600, [1, 2])];
        var c = ReuseCeiling.Compute(ReuseCeiling.FromHashIds(rows), 0, 512);
        Assert.Equal(0.5, c.BlockReuse);
        Assert.Equal(0.5, c.TokenReuse);
        (int, long[])[] rows2 = [(600, [1, 2]), (600, [1, 3])];
        var d = ReuseCeiling.Compute(ReuseCeiling.FromHashIds(rows2), 0, 512);
        Assert.Equal(0.25, d.BlockReuse);
        Assert.Equal(512.0 / 1200, d.TokenReuse, 9);
    }

    [Fact]
    public void CeilingCommand_OnAFile_MatchesTheHandComputedAnswer()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ceiling-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, Trace.Select((r, i) => $"{{\"timestamp\": {i}, \"input_length\": {r.Item1}, \"output_length\": 1, \"hash_ids\": [{string.Join(", ", r.Item2)}]}}").Append("garbage"));
        try
        {
            var results = BenchCli.Ceilings(path, 512, 3, 0, out var skipped);
            Assert.Equal(0.5, results[0].BlockReuse);
            Assert.Equal(0.4, results[1].BlockReuse);
            Assert.StartsWith("line 5:", Assert.Single(skipped), StringComparison.Ordinal);
            Assert.Equal(0, BenchCli.Run(["ceiling", "--trace", path, "--capacity-blocks", "3"]));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
