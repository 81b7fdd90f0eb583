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
    public void GroupMemory_OnlyForProfilesWithAPluginThatAsksForIt()
    {
        var profiles = ProfileConfig.Load(new SchedulerOptions());

        Assert.True(profiles[Profile].UsesGroupHome);
        Assert.True(profiles[Profile].UsesPrefix);
        Assert.False(profiles[PoolAnnotations.StrategyPrefixCache].UsesGroupHome);
        Assert.False(profiles[SchedulerOptions.PredictedTtftProfile].UsesGroupHome);
    }

    [Fact]
    public void GroupKey_PromptShorterThanAGroup_HasNone()
    {
        Assert.Equal(0UL, RecentPlacements.KeyOf(Hashes(RecentPlacements.GroupBlocks - 1)));
        Assert.Equal(RecentPlacements.KeyOf(Hashes(RecentPlacements.GroupBlocks)), RecentPlacements.KeyOf(Hashes(RecentPlacements.GroupBlocks + 50)));
        Assert.NotEqual(0UL, RecentPlacements.KeyOf(Hashes(RecentPlacements.GroupBlocks)));
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
