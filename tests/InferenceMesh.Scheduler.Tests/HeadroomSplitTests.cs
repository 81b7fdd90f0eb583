using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>Replicas that get the same snapshot release their queues before any of the others' dispatch events arrive;
/// the live replicas split the snapshot's headroom so that together they fill what one replica would.</summary>
public sealed class HeadroomSplitTests : IDisposable
{
    // Threshold 5, 2 waiting: one replica alone dispatches while the effective queue is at most 5, i.e. 4 requests.
    private const int Waiting = 2;
    private const int Offered = 10;
    private readonly List<Fleet> _fleets = [];

    public void Dispose()
    {
        foreach (var fleet in _fleets)
            fleet.Dispose();
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void LiveReplicas_SplitTheHeadroom_AndTogetherFillWhatOneWould(int n)
    {
        var alone = DispatchedAtOnce(Replicas(1, new SchedulerOptions()))[0];
        var fleets = Replicas(n, new SchedulerOptions());

        var dispatched = DispatchedAtOnce(fleets);

        Assert.Equal(4, alone);
        Assert.All(fleets, f => Assert.Equal(n, f.Service.LiveReplicas));
        Assert.Equal(alone, dispatched.Sum());
        Assert.All(dispatched, d => Assert.InRange(d, alone / n, (alone / n) + 1));
    }

    [Fact]
    public void WithoutTheSplit_EveryReplicaSpendsAllTheHeadroom()
    {
        var fleets = Replicas(4, new SchedulerOptions { ReplicaLivenessMs = 0 });

        var dispatched = DispatchedAtOnce(fleets);

        Assert.All(fleets, f => Assert.Equal(1, f.Service.LiveReplicas));
        Assert.Equal([4, 4, 4, 4], dispatched);
    }

    [Fact]
    public void ASilentReplica_LeavesTheSplit_AfterReplicaLivenessMs()
    {
        var fleets = Replicas(2, new SchedulerOptions());
        var fleet = fleets[0];

        fleet.Time.Advance(TimeSpan.FromMilliseconds(fleet.Options.ReplicaLivenessMs + 1));
        fleet.Snapshot(Fleet.Endpoint("e1", waiting: Waiting));

        Assert.Equal(1, fleet.Service.LiveReplicas);
        Assert.Equal(4, DispatchedAtOnce([fleet])[0]);
    }

    [Fact]
    public void ANewSender_JoinsTheSplit_BeforeTheNextSnapshot()
    {
        var fleet = Replicas(1, new SchedulerOptions())[0];

        fleet.Service.ApplyRemoteDispatch(new RoutingDecision("x1", Fleet.Pool, "m", "e1", [], "replica-9", Criticality.Standard, fleet.NowMs, 0));

        Assert.Equal(2, fleet.Service.LiveReplicas);
        // 2 waiting + the other's dispatch; this replica (rank 0 of 2) takes the places at 2 and 4 above the scraped queue.
        Assert.Equal(2, DispatchedAtOnce([fleet])[0]);
    }

    [Fact]
    public async Task RoomThisReplicaFreed_IsItsOwn()
    {
        var fleet = Replicas(2, new SchedulerOptions())[0];
        var early = fleet.Request();
        Assert.Equal(ScheduleOutcome.Scheduled, (await fleet.Schedule(early).Within()).Outcome);
        // The next scrape counts that dispatch in the server's queue (3 waiting).
        fleet.Snapshot(Fleet.Endpoint("e1", waiting: Waiting + 1));
        // 3 free places above the scrape; this replica's turn (rank 0 of 2, third snapshot: slot 1) is the second of them,
        // so one request goes at once and the next waits.
        var tasks = new[] { fleet.Schedule(fleet.Request()), fleet.Schedule(fleet.Request()) };
        var queuedBefore = fleet.Queued(Criticality.Standard);

        // The early request completes, freeing a place the scrape shows as taken: the place is this replica's, not split.
        Assert.True(fleet.Service.Complete(new RequestCompletion(early.RequestId, fleet.Service.ReplicaId, "e1", 200, 1, 1, 0)));

        Assert.True(tasks[0].IsCompleted);
        Assert.Equal(1, queuedBefore);
        Assert.Equal(ScheduleOutcome.Scheduled, (await tasks[1].Within()).Outcome);
    }

    /// <summary>N replicas ("replica-0" …) that each know the others from a dispatch event, then got the same snapshot of
    /// one endpoint with <see cref="Waiting"/> requests queued.</summary>
    private Fleet[] Replicas(int n, SchedulerOptions options)
    {
        var fleets = new Fleet[n];
        for (var r = 0; r < n; r++)
        {
            var fleet = new Fleet(options with { }, replica: $"replica-{r}");
            _fleets.Add(fleet);
            fleet.Snapshot(Fleet.Endpoint("e1", waiting: Waiting));
            for (var other = 0; other < n; other++)
            {
                if (other != r)
                    fleet.Service.ApplyRemoteDispatch(new RoutingDecision($"x{other}", Fleet.Pool, "m", "e1", [], $"replica-{other}", Criticality.Standard, fleet.NowMs, 0));
            }
            // The next scrape shows those dispatches; the replicas now split its headroom.
            fleet.Snapshot(Fleet.Endpoint("e1", waiting: Waiting));
            fleets[r] = fleet;
        }
        return fleets;
    }

    /// <summary>Offers each replica <see cref="Offered"/> requests at once; how many each dispatched (the rest queue).</summary>
    private static int[] DispatchedAtOnce(Fleet[] fleets)
    {
        var dispatched = new int[fleets.Length];
        for (var r = 0; r < fleets.Length; r++)
        {
            for (var i = 0; i < Offered; i++)
            {
                if (fleets[r].Service.TrySchedule(fleets[r].Request(), null, out _) is { Outcome: ScheduleOutcome.Scheduled })
                    dispatched[r]++;
            }
        }
        return dispatched;
    }
}
