using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>The PREFILL_WORK profile: <c>prefill-work-filter</c> + <c>prefill-work-scorer</c> and the group memory they use.</summary>
public sealed class PrefillWorkTests
{
    private const string Profile = "PREFILL_WORK";

    private static Fleet NewFleet(FakePrefixIndex index, string profile = Profile)
    {
        var fleet = new Fleet(prefix: index);
        fleet.Service.ConfigurePool(Fleet.Pool, new Dictionary<string, string> { [PoolAnnotations.RoutingStrategy] = profile });
        return fleet;
    }

    private static ulong[] Hashes(int n, ulong first = 1)
    {
        var h = new ulong[n];
        for (var i = 0; i < n; i++)
            h[i] = first + (ulong)i;
        return h;
    }

    [Fact]
    public async Task IdleServerInFleet_NoPressure_ColdIdleServerWinsOverSaturatedWarmOne()
    {
        // One server is idle: P = 0, the pick is the predicted TTFT's (the saturated warm server's credit is withheld).
        var index = new FakePrefixIndex { Matches = { ["b:1"] = 100 } };
        using var fleet = NewFleet(index);
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1", waiting: 6, running: 10));

        var r = await fleet.Schedule(fleet.Request(hashes: Hashes(125), bytes: 8000)).Within();

        Assert.Equal("a:1", r.Endpoint);
    }

    [Theory]
    [InlineData(Profile, "b:1")]
    [InlineData("PREDICTED_TTFT", "a:1")]
    public async Task EveryServerQueued_WarmServerKeepsItsGroup_EvenWhenTheGateCountsItFull(string profile, string expected)
    {
        // Both servers have a queue: every ms of prefill delays the requests behind it, so the warm (full) server wins
        // under PREFILL_WORK; the per-request predicted TTFT sends the prompt cold to the server with room.
        var index = new FakePrefixIndex { Matches = { ["b:1"] = 100 } };
        using var fleet = NewFleet(index, profile);
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 3), Fleet.Endpoint("b:1", waiting: 6, running: 10));

        var r = await fleet.Schedule(fleet.Request(hashes: Hashes(125), bytes: 8000)).Within();

        Assert.Equal(expected, r.Endpoint);
    }

    [Theory]
    [InlineData(PrefillWorkFilter.StackCandidates - 1)]
    [InlineData(PrefillWorkFilter.StackCandidates + 44)]
    public async Task EveryServerQueued_PoolOfAnySize_WarmServerKeepsItsGroup(int servers)
    {
        // The filter keeps each candidate's cost on the stack up to StackCandidates and in a rented array beyond: the
        // warm server (the last, and over the gate) must win the same way on either side of that size.
        var warm = $"s{servers - 1}:1";
        var index = new FakePrefixIndex { Matches = { [warm] = 100 } };
        using var fleet = NewFleet(index);
        var endpoints = new EndpointMetrics[servers];
        for (var i = 0; i < servers - 1; i++)
            endpoints[i] = Fleet.Endpoint($"s{i}:1", waiting: 3);
        endpoints[^1] = Fleet.Endpoint(warm, waiting: 6, running: 10);
        fleet.Snapshot(endpoints);

        var r = await fleet.Schedule(fleet.Request(hashes: Hashes(125), bytes: 8000)).Within();

        Assert.Equal(warm, r.Endpoint);
    }

    [Theory]
    [InlineData(Profile)]
    [InlineData("PREDICTED_TTFT")]
    public async Task EveryServerQueued_NoPrefixAnywhere_GoesWhereTheRoomIs(string profile)
    {
        // a:1 has the lower predicted TTFT (6 waiting, nothing running) but is over the queue threshold; b:1 has room (3
        // waiting) and a large batch. No candidate holds any of the prompt, so there is no locality for the filter to keep:
        // the gate's full-last ranking sends the request to b:1 (before, the filter kept only a:1; on a mixed fleet that
        // piled work on the slow servers).
        using var fleet = NewFleet(new FakePrefixIndex(), profile);
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 6), Fleet.Endpoint("b:1", waiting: 3, running: 800));

        var r = await fleet.Schedule(fleet.Request(hashes: Hashes(8), bytes: 512)).Within();

        Assert.Equal("b:1", r.Endpoint);
    }

    [Fact]
    public async Task GroupWithoutIndexMatch_UnderPressure_FollowsTheGroupsLastDispatch()
    {
        // The index has not learnt the first request yet (a burst matched at arrival): the group memory keeps the
        // second request of the group where the first went.
        using var fleet = NewFleet(new FakePrefixIndex());
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 2), Fleet.Endpoint("b:1", waiting: 2), Fleet.Endpoint("c:1", waiting: 2));

        var first = await fleet.Schedule(fleet.Request(hashes: Hashes(300), bytes: 19200)).Within();
        var second = await fleet.Schedule(fleet.Request(hashes: Hashes(300), bytes: 19200)).Within();
        var other = await fleet.Schedule(fleet.Request(hashes: Hashes(300, first: 10_000), bytes: 19200)).Within();

        Assert.Equal(first.Endpoint, second.Endpoint);
        Assert.NotEqual(first.Endpoint, other.Endpoint);
    }

    [Fact]
    public async Task GroupWithoutIndexMatch_ServerIdle_PickIsThePredictedTtftAlone()
    {
        // No pressure (a server is idle): the group memory gives no credit, so the second request of the group is placed as
        // PREDICTED_TTFT places it — on the idle server, not behind the one request waiting where the first one went (which,
        // credited with the first one's 16k tokens, would win by seconds of prefill).
        using var fleet = NewFleet(new FakePrefixIndex());
        fleet.Snapshot(Fleet.Endpoint("a:1"), Fleet.Endpoint("b:1"));

        var first = await fleet.Schedule(fleet.Request(hashes: Hashes(1000), bytes: 64000)).Within();
        fleet.Time.Advance(TimeSpan.FromSeconds(10)); // its prefill is done
        var other = first.Endpoint == "a:1" ? "b:1" : "a:1";
        fleet.Snapshot(Fleet.Endpoint(first.Endpoint!, waiting: 1, running: 1), Fleet.Endpoint(other));
        var second = await fleet.Schedule(fleet.Request(hashes: Hashes(1000), bytes: 64000)).Within();

        Assert.Equal(other, second.Endpoint);
    }

    [Fact]
    public void GroupMemory_OnlyForProfilesWithAPluginThatAsksForIt()
    {
        var profiles = ProfileConfig.Load(new SchedulerOptions());

        Assert.True(profiles[Profile].PlacementAware);
        Assert.True(profiles[Profile].UsesPrefix);
        Assert.False(profiles[PoolAnnotations.StrategyPrefixCache].PlacementAware);
        Assert.False(profiles[SchedulerOptions.PredictedTtftProfile].PlacementAware);
    }

    [Fact]
    public async Task QueuedRequests_ReleasedTogether_FollowThePlacementMadeWhileTheyWaited()
    {
        // Matched when they arrived, before any of them was dispatched: the index knows nothing. The second request of the
        // prefix (shorter than the old 256-block group key) follows the first, re-matched against this replica's placements.
        using var fleet = NewFleet(new FakePrefixIndex());
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 6), Fleet.Endpoint("b:1", waiting: 6), Fleet.Endpoint("c:1", waiting: 6));
        var first = fleet.Schedule(fleet.Request(hashes: Hashes(40), bytes: 2560));
        var second = fleet.Schedule(fleet.Request(hashes: Hashes(40), bytes: 2560));
        var other = fleet.Schedule(fleet.Request(hashes: Hashes(40, first: 10_000), bytes: 2560));
        Assert.False(first.IsCompleted);

        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 2), Fleet.Endpoint("b:1", waiting: 2), Fleet.Endpoint("c:1", waiting: 2));

        var r1 = await first.Within();
        Assert.Equal(r1.Endpoint, (await second.Within()).Endpoint);
        Assert.NotEqual(r1.Endpoint, (await other.Within()).Endpoint);
    }

    [Fact]
    public void RecentPlacements_SharedLeadingBlocks_CreditedUpToTheLastRecordedOne()
    {
        var placements = new RecentPlacements(blockTokens: 16, retention: 0);
        EndpointState[] endpoints = [new EndpointState("a:1"), new EndpointState("b:1")];
        var sent = Hashes(40);
        var asked = Hashes(60);
        for (var i = 35; i < asked.Length; i++)
            asked[i] += 1_000_000; // the chain diverges after 35 shared blocks
        placements.Record(sent, sent.Length, endpoints[1], uncachedBlocks: 0);
        var matched = new int[2];

        placements.Credit(asked, asked.Length, endpoints, [0, 1], matched);

        Assert.Equal(0, matched[0]);
        Assert.Equal(2 * RecentPlacements.Stride, matched[1]); // blocks 16 and 32 are recorded, 35 is not
    }

    [Theory]
    [InlineData(Profile, 400)]
    [InlineData("PREDICTED_TTFT", 2000)]
    public async Task WarmEndpointAtTheLoadGate_BacklogCountsWhatTheServerComputes(string profile, int computedTokens)
    {
        // At the gate's edge (5 waiting) the predicted TTFT withholds the hit; the server still uses its cache, and a
        // placement-aware profile's backlog grows by the 400 uncached tokens of the 2,000, not by the whole prompt.
        var index = new FakePrefixIndex { Matches = { ["a:1"] = 100 } };
        using var fleet = NewFleet(index, profile);
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 5, running: 4));
        var request = fleet.Request(hashes: Hashes(125), bytes: 8000);

        await fleet.Schedule(request).Within();

        var t = fleet.Options.PredictedTtft;
        var expected = (computedTokens * (t.PrefillMsPerToken + (t.AttentionMsPerTokenPair * 2000))) + t.OverheadMs;
        Assert.Equal(expected, fleet.Service.PredictedPrefillMs(request.RequestId), 6);
    }

    [Fact]
    public void FilterParameter_OutOfRange_FailsNamingIt()
    {
        var options = new SchedulerOptions
        {
            ConfigText = """
                plugins:
                - type: prefill-work-filter
                  parameters:
                    slack: -1
                - type: prefill-work-scorer
                schedulingProfiles:
                - name: X
                  plugins:
                  - pluginRef: prefill-work-filter
                  - pluginRef: prefill-work-scorer
                """,
        };

        var ex = Assert.Throws<ProfileConfigException>(() => ProfileConfig.Load(options));

        Assert.Contains("plugins[0].parameters.slack", ex.Path, StringComparison.Ordinal);
    }
}
