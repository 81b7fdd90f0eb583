using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>How long <see cref="RecentPlacements"/> credits an endpoint with a prefix this replica sent it: until
/// <c>PlacementRetention</c> × the server's KV cache, in uncached prompt blocks, has been sent there after it.</summary>
public sealed class RecentPlacementsTests
{
    private static ulong[] Hashes(int n, ulong first = 1)
    {
        var h = new ulong[n];
        for (var i = 0; i < n; i++)
            h[i] = first + (ulong)i;
        return h;
    }

    /// <summary>An endpoint whose server reported <paramref name="numBlocks"/> KV blocks of <paramref name="blockSize"/> tokens.</summary>
    private static EndpointState Endpoint(string address, int numBlocks = 1000, int blockSize = 16)
    {
        var e = new EndpointState(address);
        e.Update(new EndpointMetrics(address, 0, 0, 0.1, [], [], 0, blockSize, numBlocks, 1, EndpointHealth.Healthy));
        return e;
    }

    private static int Credited(RecentPlacements placements, ulong[] hashes, EndpointState endpoint)
    {
        var matched = new int[1];
        placements.Credit(hashes, hashes.Length, [endpoint], [0], matched);
        return matched[0];
    }

    [Theory]
    [InlineData(16, 2.0, 2000)] // 1,000 blocks of 16 tokens = 1,000 of the index's blocks, twice
    [InlineData(32, 2.0, 4000)] // the server's blocks twice the index's: twice as many
    [InlineData(16, 0.5, 500)]
    public void Placement_CreditedUntilRetentionTimesTheCacheWasSentAfterIt(int serverBlockSize, double retention, int agedAfter)
    {
        var placements = new RecentPlacements(blockTokens: 16, retention: retention);
        var b = Endpoint("b:1", blockSize: serverBlockSize);
        var prompt = Hashes(40);
        placements.Record(prompt, prompt.Length, b, uncachedBlocks: 0);

        b.PlacedBlocks += agedAfter - 1;
        Assert.Equal(40, Credited(placements, prompt, b));

        b.PlacedBlocks += 1;
        Assert.Equal(0, Credited(placements, prompt, b));
    }

    [Fact]
    public void Placement_RenewedByALaterPlacementOfTheSamePrefix()
    {
        // A hit refreshes the server's LRU; a later dispatch of the prefix renews the entry the same way.
        var placements = new RecentPlacements(blockTokens: 16, retention: 1);
        var b = Endpoint("b:1");
        var prompt = Hashes(40);
        placements.Record(prompt, prompt.Length, b, uncachedBlocks: 0);
        b.PlacedBlocks += 900;
        placements.Record(prompt, prompt.Length, b, uncachedBlocks: 0);

        b.PlacedBlocks += 900; // 1,800 after the first placement, 900 after the second
        Assert.Equal(40, Credited(placements, prompt, b));
    }

    [Theory]
    [InlineData(0, 2.0)] // the server's cache size never reported
    [InlineData(1000, 0.0)] // PlacementRetention 0: never age
    public void CacheSizeUnknownOrRetentionZero_PlacementNeverAges(int numBlocks, double retention)
    {
        var placements = new RecentPlacements(blockTokens: 16, retention: retention);
        var b = Endpoint("b:1", numBlocks: numBlocks);
        var prompt = Hashes(40);
        placements.Record(prompt, prompt.Length, b, uncachedBlocks: 0);

        b.PlacedBlocks += 1_000_000;

        Assert.Equal(40, Credited(placements, prompt, b));
    }

    [Theory]
    [InlineData(null, "a:1")] // the default, PlacementRetention 1
    [InlineData(0.0, "b:1")]
    public async Task AgentStep_AfterItsServerWasSentMoreThanItsCache_IsNotHeldThereByTheOldPlacement(double? retention, string expected)
    {
        // An agent's first step went to b:1; then 2,100 cold blocks went there (twice b:1's 1,000-block cache and more).
        // The server has evicted the context: the next step must not be held to b:1, now the busier server, by a hit it will
        // not get. Placements that never age (retention 0, as before) keep it there.
        var options = new SchedulerOptions();
        if (retention is { } r0)
            options.PlacementRetention = r0;
        using var fleet = new Fleet(options, new FakePrefixIndex());
        fleet.Service.ConfigurePool(Fleet.Pool, new Dictionary<string, string> { [PoolAnnotations.RoutingStrategy] = SchedulerOptions.PrefillWorkProfile });
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 2), Fleet.Endpoint("b:1", waiting: 2));
        var context = Hashes(200);
        Assert.Equal("b:1", (await fleet.Schedule(fleet.Request(hashes: context, bytes: 12_800, subset: ["b:1"])).Within()).Endpoint);
        for (var i = 0; i < 3; i++)
        {
            var filler = Hashes(700, first: 100_000 * (ulong)(i + 1));
            Assert.Equal("b:1", (await fleet.Schedule(fleet.Request(hashes: filler, bytes: 44_800, subset: ["b:1"])).Within()).Endpoint);
        }

        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 2), Fleet.Endpoint("b:1", waiting: 3));
        var next = Hashes(260); // the context and the step's new tokens
        var r = await fleet.Schedule(fleet.Request(hashes: next, bytes: 16_640)).Within();

        Assert.Equal(expected, r.Endpoint);
    }

    [Theory]
    [InlineData(40, new[] { 16, 32, 40 })] // every 16th block and the last
    [InlineData(32, new[] { 16, 32 })] // the last is the 32nd: once
    [InlineData(0, new int[0])]
    public void Sample_IsWhatRecordWrites_AndRecordingItCreditsTheSame(int blocks, int[] positions)
    {
        var prompt = Hashes(60);
        var sample = RecentPlacements.Sample(prompt, blocks);
        Assert.Equal(positions.Select(p => prompt[p - 1]), sample);

        var local = new RecentPlacements(blockTokens: 16, retention: 1);
        var remote = new RecentPlacements(blockTokens: 16, retention: 1);
        var b = Endpoint("b:1");
        local.Record(prompt, blocks, b, uncachedBlocks: 0);
        remote.RecordSample(sample, b, uncachedBlocks: 0);
        Assert.Equal(Credited(local, prompt, b), Credited(remote, prompt, b));
    }

    /// <summary>Two PREFILL_WORK replicas over a:1 and b:1 (2 waiting each, so recent placements are credited); replica A has
    /// placed a 200-block context on b:1. Returns both and A's published decision.</summary>
    private static async Task<(Fleet A, Fleet B, RoutingDecision Decision)> PeerPlacedOnB()
    {
        var publisherA = new RecordingPublisher();
        var a = new Fleet(null, new FakePrefixIndex(), publisherA, replica: "replica-a");
        var b = new Fleet(null, new FakePrefixIndex(), replica: "replica-b");
        foreach (var f in new[] { a, b })
        {
            f.Service.ConfigurePool(Fleet.Pool, new Dictionary<string, string> { [PoolAnnotations.RoutingStrategy] = SchedulerOptions.PrefillWorkProfile });
            f.Snapshot(Fleet.Endpoint("a:1", waiting: 2), Fleet.Endpoint("b:1", waiting: 2));
        }
        Assert.Equal("b:1", (await a.Schedule(a.Request(hashes: Hashes(200), bytes: 12_800, subset: ["b:1"])).Within()).Endpoint);
        await Poll.UntilAsync(() => Task.FromResult(!publisherA.Decisions.IsEmpty), "replica A to publish its decision");
        Assert.True(publisherA.Decisions.TryPeek(out var decision));
        return (a, b, decision);
    }

    private static RoutingDecision Sent(RoutingDecision decision, bool withSample) =>
        withSample ? decision : decision with { PlacementHashes = null, UncachedBlocks = 0 };

    [Theory]
    [InlineData(true, "b:1")]
    [InlineData(false, "a:1")]
    public async Task PeerReplicasPlacement_IsCreditedHere_WhenItsDispatchCarriesTheSample(bool withSample, string expected)
    {
        // Replica B gets the agent's next step and has no index match for it. From A's dispatch event B counts b:1 one
        // request busier, and — from the placement sample the event carries — credits it with the context, so the step
        // follows it. Without the sample (an older peer) it goes to a:1.
        var (a, b, decision) = await PeerPlacedOnB();
        using (a)
        using (b)
        {
            Assert.Equal(200, decision.UncachedBlocks);
            Assert.Equal(13, decision.PlacementHashes!.Count); // 12 strides of 16 and the 200th

            Assert.True(b.Service.ApplyRemoteDispatch(Sent(decision, withSample)));
            var r = await b.Schedule(b.Request(hashes: Hashes(260), bytes: 16_640)).Within();

            Assert.Equal(expected, r.Endpoint);
        }
    }

    [Theory]
    [InlineData(true, "b:1")]
    [InlineData(false, "a:1")]
    public async Task PeerReplicasPlacement_ArrivingAfterANewerScrape_IsStillRecorded(bool withSample, string expected)
    {
        // The event comes after a scrape newer than the decision: the scrape shows its load (the event is not counted), but
        // not where its prefix went — the placement is recorded all the same.
        var (a, b, decision) = await PeerPlacedOnB();
        using (a)
        using (b)
        {
            b.Time.Advance(TimeSpan.FromMilliseconds(5));
            b.Snapshot(Fleet.Endpoint("a:1", waiting: 1), Fleet.Endpoint("b:1", waiting: 2));

            Assert.False(b.Service.ApplyRemoteDispatch(Sent(decision, withSample)));
            var r = await b.Schedule(b.Request(hashes: Hashes(260), bytes: 16_640)).Within();

            Assert.Equal(expected, r.Endpoint);
        }
    }
}
