using InferenceMesh.Bench.Stats;

namespace InferenceMesh.Sim.Tests.Bench;

public sealed class PercentileTests
{
    [Fact]
    public void OfSorted_InterpolatesBetweenClosestRanks()
    {
        double[] v = [1, 2, 3, 4];
        Assert.Equal(2.5, Percentiles.OfSorted(v, 50));
        Assert.Equal(1, Percentiles.OfSorted(v, 0));
        Assert.Equal(4, Percentiles.OfSorted(v, 100));
        Assert.Equal(3.7, Percentiles.OfSorted(v, 90), 9);
    }

    [Fact]
    public void Summarise_OneToHundred()
    {
        var s = Percentiles.Summarise(Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToList());
        Assert.Equal(50.5, s.Mean);
        Assert.Equal(50.5, s.P50);
        Assert.Equal(90.1, s.P90, 9);
        Assert.Equal(99.01, s.P99, 9);
        Assert.Equal(100, s.Count);
    }

    [Fact]
    public void Summarise_Empty_IsAllZero_AndOfSortedEmptyIsNaN()
    {
        Assert.Equal(LatencySummary.Empty, Percentiles.Summarise(Array.Empty<double>()));
        Assert.True(double.IsNaN(Percentiles.OfSorted([], 50)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.OfSorted([1.0], 101));
    }
}
