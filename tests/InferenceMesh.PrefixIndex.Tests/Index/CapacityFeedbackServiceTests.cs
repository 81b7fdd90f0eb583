using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;

namespace InferenceMesh.PrefixIndex.Tests.Index;

/// <summary><see cref="IPrefixCapacityFeedbackService"/> of the prefix-index service over the memory backend.</summary>
public sealed class CapacityFeedbackServiceTests
{
    private PrefixIndexMetrics Metrics { get; } = new();

    private (IPrefixIndex Index, IPrefixCapacityFeedbackService Feedback) Create(CapacityFeedbackMode mode = CapacityFeedbackMode.WhenUnknown,
        EngineCapacities? engine = null)
    {
        var options = new PrefixIndexOptions { DefaultCapacity = 1000, MinCapacity = 10, CapacityFeedback = mode, CapacityGrowPerBlock = 0.5, CapacityShrinkPerBlock = 0.25 };
        var index = PrefixIndexFactory.CreateMemory(options, Metrics);
        return (index, (IPrefixCapacityFeedbackService)PrefixIndexFactory.CreateService(index, options, Metrics, engineCapacities: engine));
    }

    private static PrefixCapacityFeedback Report(params (string Endpoint, long Over, long Under)[] endpoints)
        => new([.. endpoints.Select(e => new PrefixCapacityEvidence(e.Endpoint, e.Over, e.Under))]);

    [Fact]
    public async Task OverBlocks_GrowTheCapacity_UnderBlocks_ShrinkIt()
    {
        var (index, feedback) = Create();
        await index.SetCapacityAsync("a", 100, default);
        await index.SetCapacityAsync("b", 100, default);

        var answer = await feedback.ApplyCapacityFeedbackAsync(Report(("a", 40, 0), ("b", 0, 40), ("c", 0, 0)), default);

        Assert.Equal(new Dictionary<string, int> { ["a"] = 120, ["b"] = 90, ["c"] = 1000 }, answer.Capacities);
        Assert.Equal(120, await index.GetCapacityAsync("a", default));
        Assert.Equal(90, await index.GetCapacityAsync("b", default));
        Assert.Equal(1000, await index.GetCapacityAsync("c", default));
    }

    [Theory]
    [InlineData(CapacityFeedbackMode.WhenUnknown, 100, 120)]
    [InlineData(CapacityFeedbackMode.Always, 120, 120)]
    public async Task EngineReportedCapacities_MoveOnlyWhenAlways(CapacityFeedbackMode mode, int reportedAfter, int guessedAfter)
    {
        var engine = new EngineCapacities();
        var (index, feedback) = Create(mode, engine);
        await index.SetCapacityAsync("reported", 100, default);
        engine.Reported("reported");
        await index.SetCapacityAsync("guessed", 100, default);

        var answer = await feedback.ApplyCapacityFeedbackAsync(Report(("reported", 40, 0), ("guessed", 40, 0)), default);

        Assert.Equal(new Dictionary<string, int> { ["reported"] = reportedAfter, ["guessed"] = guessedAfter }, answer.Capacities);
        // Purged, the endpoint's capacity is a guess again.
        engine.Forget("reported");
        answer = await feedback.ApplyCapacityFeedbackAsync(Report(("reported", 40, 0)), default);
        Assert.Equal(reportedAfter + 20, answer.Capacities["reported"]);
    }

    [Fact]
    public async Task FeedbackOff_AnswersTheCapacitiesUnchanged()
    {
        var (index, feedback) = Create(CapacityFeedbackMode.Off);
        await index.SetCapacityAsync("a", 100, default);

        var answer = await feedback.ApplyCapacityFeedbackAsync(Report(("a", 40, 0), ("b", 0, 400)), default);

        Assert.Equal(new Dictionary<string, int> { ["a"] = 100, ["b"] = 1000 }, answer.Capacities);
        Assert.Equal(100, await index.GetCapacityAsync("a", default));
        Assert.Equal(1000, await index.GetCapacityAsync("b", default));
    }

    [Fact]
    public async Task Growing_LetsTheLruHoldMoreDistinctBlocks()
    {
        var (index, feedback) = Create();
        await index.SetCapacityAsync("a", 100, default);
        var blocks = Enumerable.Range(1, 120).Select(i => (ulong)i * 7_919).ToArray();
        // One block per record: 120 distinct single-block chains, the oldest first.
        foreach (var block in blocks)
            await index.RecordAsync("m", "a", new[] { block }, default);
        Assert.Equal(100, await Held(index, blocks));
        Assert.Equal(100, (await index.StatsAsync(default)).Endpoints.Single().Entries);

        await feedback.ApplyCapacityFeedbackAsync(Report(("a", 40, 0)), default);
        foreach (var block in blocks)
            await index.RecordAsync("m", "a", new[] { block }, default);

        Assert.Equal(120, await Held(index, blocks));
        var stats = (await index.StatsAsync(default)).Endpoints.Single();
        Assert.Equal((120L, 120), (stats.Entries, stats.Capacity));
    }

    [Fact]
    public async Task Shrinking_EvictsAtOnce()
    {
        var (index, feedback) = Create();
        await index.SetCapacityAsync("a", 100, default);
        var blocks = Enumerable.Range(1, 100).Select(i => (ulong)i).ToArray();
        foreach (var block in blocks)
            await index.RecordAsync("m", "a", new[] { block }, default);

        await feedback.ApplyCapacityFeedbackAsync(Report(("a", 0, 40)), default);

        Assert.Equal(90, await Held(index, blocks));
        Assert.Equal(new[] { 1 }, await index.MatchAsync("m", new ulong[] { 100 }, ["a"], default)); // the most recent stays
    }

    [Fact]
    public async Task AnEndpointReportedTwice_GetsTheSumOnce()
    {
        var (index, feedback) = Create();
        await index.SetCapacityAsync("a", 100, default);
        var answer = await feedback.ApplyCapacityFeedbackAsync(Report(("a", 20, 0), ("a", 20, 40)), default);
        Assert.Equal(110, Assert.Single(answer.Capacities).Value);
    }

    [Fact]
    public async Task EmptyReport_AnswersNothing()
    {
        var (_, feedback) = Create();
        Assert.Empty((await feedback.ApplyCapacityFeedbackAsync(Report(), default)).Capacities);
    }

    [Fact]
    public async Task ClampedAtMinCapacity()
    {
        var (index, feedback) = Create();
        await index.SetCapacityAsync("a", 100, default);
        Assert.Equal(10, (await feedback.ApplyCapacityFeedbackAsync(Report(("a", 0, 1_000_000)), default)).Capacities["a"]);
        Assert.Equal(10, await index.GetCapacityAsync("a", default));
    }

    public static TheoryData<PrefixCapacityFeedback?, string> BadReports => new()
    {
        { null, "body is required" },
        { new PrefixCapacityFeedback(null!), "'endpoints' is required" },
        { new PrefixCapacityFeedback([null!]), "'endpoints[0]' is null" },
        { new PrefixCapacityFeedback([new("a", 1, 0), new("", 1, 0)]), "'endpoints[1].endpoint' is required" },
        { new PrefixCapacityFeedback([new(null!, 1, 0)]), "'endpoints[0].endpoint' is required" },
        { new PrefixCapacityFeedback([new("a", -1, 0)]), "'endpoints[0].overBlocks' is -1" },
        { new PrefixCapacityFeedback([new("a", 0, -5)]), "'endpoints[0].underBlocks' is -5" },
        { new PrefixCapacityFeedback([.. Enumerable.Range(0, 513).Select(i => new PrefixCapacityEvidence($"e{i}", 1, 0))]), "PrefixIndex:MaxCandidates" },
    };

    [Theory]
    [MemberData(nameof(BadReports))]
    public async Task BadReports_AreRefused_AndChangeNothing(PrefixCapacityFeedback? report, string reason)
    {
        var (index, feedback) = Create();
        await index.SetCapacityAsync("a", 100, default);
        var error = await Assert.ThrowsAsync<PrefixRequestException>(async () => await feedback.ApplyCapacityFeedbackAsync(report!, default));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(100, await index.GetCapacityAsync("a", default));
    }

    private static async Task<int> Held(IPrefixIndex index, ulong[] blocks)
    {
        var held = 0;
        foreach (var block in blocks)
            held += (await index.MatchAsync("m", new[] { block }, ["a"], default))[0];
        return held;
    }
}
