using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Index;
using InferenceMesh.PrefixIndex.KvEvents;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceMesh.PrefixIndex.Tests.KvEvents;

public sealed class PrecisePrefixMatcherTests : IAsyncLifetime
{
    private KvEventsConsumerFixture _fx = null!;

    public Task InitializeAsync()
    {
        _fx = new KvEventsConsumerFixture();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _fx.CloseAsync();

    [Fact]
    public async Task Followed_endpoints_score_from_their_exact_set_and_the_others_from_the_approximate_index()
    {
        var options = new PrefixIndexOptions();
        var metrics = new PrefixIndexMetrics();
        var approximate = PrefixIndexFactory.CreateService(PrefixIndexFactory.CreateMemory(options, metrics), options, metrics);
        var matcher = new PrecisePrefixMatcher(approximate, _fx.Sets, NullLogger<PrecisePrefixMatcher>.Instance);
        var chain = KvTestText.PromptHashes(KvTestText.Prompt(40, 4));
        const string Evicted = "10.0.0.1:8000", Exact = "10.0.0.2:8000", Silent = "10.0.0.3:8000";

        // The approximate index believes every endpoint holds the whole chain (all were routed to).
        foreach (var e in new[] { Evicted, Exact, Silent })
            await approximate.RecordAsync(new PrefixRecordRequest(KvTestText.Model, e, chain), CancellationToken.None);
        // Their engines say otherwise: one evicted everything, one holds two blocks; the third publishes nothing.
        await _fx.Sets.ApplyAsync(Evicted, clearFirst: true, [], [], TimeSpan.FromMinutes(1));
        await _fx.Sets.ApplyAsync(Exact, clearFirst: true, chain[..2], [], TimeSpan.FromMinutes(1));

        var answer = await matcher.MatchAsync(new PrefixMatchRequest(KvTestText.Model, chain, [Evicted, Exact, Silent]), CancellationToken.None);

        Assert.False(answer.Matches.ContainsKey(Evicted));
        Assert.Equal(2, answer.Matches[Exact]);
        Assert.Equal(4, answer.Matches[Silent]);
        Assert.Equal(4, answer.TotalBlocks);
    }
}
