using InferenceMesh.VllmSim;
using static InferenceMesh.Sim.Tests.Sim.SimTestKit;

namespace InferenceMesh.Sim.Tests.Sim;

public sealed class FleetTests
{
    private static List<string> Replay(int seed)
    {
        var rng = new Random(seed);
        var fleet = new SimFleet(Options(SimProfile.A10), 3);
        var records = new List<string>();
        fleet.RequestFinished = r => records.Add(FormattableString.Invariant(
            $"{r.Id}@{r.ServerIndex} a={r.ArrivalMs:R} f={r.FirstTokenMs:R} e={r.FinishedMs:R} c={r.CachedTokens} p={r.Preemptions}"));
        var t = 0.0;
        for (var i = 0; i < 400; i++)
        {
            t += rng.NextDouble() * 150;
            var group = rng.Next(8);
            long[] ids = [group, group * 100 + rng.Next(3), 10_000 + i];
            var prompt = SimPrompt.FromHashIds(ids, 600 + rng.Next(900));
            fleet.AdvanceTo(t);
            fleet.Servers[i % 3].Submit(new SimRequest($"r{i}", prompt, 20 + rng.Next(200)));
        }
        fleet.RunUntilIdle();
        return records;
    }

    [Fact]
    public void SameInputs_GiveIdenticalResults_InVirtualTime()
    {
        var a = Replay(7);
        var b = Replay(7);
        Assert.Equal(400, a.Count);
        Assert.Equal(a, b);
        Assert.NotEqual(a, Replay(8));
    }

    [Fact]
    public void Fleet_ProcessesEventsInGlobalTimeOrder_SoCallbacksCanSubmitAnywhere()
    {
        var fleet = new SimFleet(Options(), 2);
        var chain = 0;
        var arrivals = new List<(double Arrival, double PreviousFinish)>();
        fleet.RequestFinished = r =>
        {
            if (chain >= 6)
                return;
            chain++;
            var next = new SimRequest($"c{chain}", Text($"c{chain}", 300), 3);
            arrivals.Add((fleet.NowMs, r.FinishedMs));
            fleet.Servers[chain % 2].Submit(next);   // closed loop: the next request starts when the previous ends
            Assert.Equal(r.FinishedMs, next.ArrivalMs);
        };
        // A busy neighbour whose events interleave with the chain's.
        fleet.Servers[1].Submit(new SimRequest("noise", Text("noise", 3000), 400));
        fleet.Servers[0].Submit(new SimRequest("c0", Text("c0", 300), 3));
        fleet.RunUntilIdle();
        Assert.Equal(6, arrivals.Count);
        foreach (var (arrival, previous) in arrivals)
            Assert.Equal(previous, arrival);
    }

    [Fact]
    public void AdvanceTo_GroupsSimultaneousArrivals_IntoOneStep()
    {
        var fleet = new SimFleet(Options(), 1);
        fleet.AdvanceTo(100);
        var requests = new List<SimRequest>();
        for (var i = 0; i < 5; i++)
        {
            var r = new SimRequest($"r{i}", Text($"s{i}", 100), 2);
            requests.Add(r);
            fleet.Servers[0].Submit(r);
        }
        fleet.RunUntilIdle();
        foreach (var r in requests)
        {
            Assert.Equal(100, r.ArrivalMs);
            Assert.Equal(requests[0].FirstTokenMs, r.FirstTokenMs);
        }
        Assert.Equal(2, fleet.Servers[0].Steps);
    }

    [Fact]
    public void AdvanceTo_LeavesTheClockAtTheTarget_AndIdleServersIdle()
    {
        var fleet = new SimFleet(Options(), 4);
        fleet.AdvanceTo(5000);
        Assert.Equal(5000, fleet.NowMs);
        Assert.True(fleet.IsIdle);
        Assert.Throws<InvalidOperationException>(() => fleet.Servers[0].AdvanceTo(6000));
    }

    [Fact]
    public void LongReplay_FinishesEveryRequest_WithBoundedState()
    {
        // A quarter hour of arrivals at ~4 req/s over 4 servers in virtual time: everything drains, nothing leaks.
        var rng = new Random(1);
        var fleet = new SimFleet(Options(SimProfile.L20), 4);
        var finished = 0;
        fleet.RequestFinished = _ => finished++;
        var t = 0.0;
        const int count = 3_600;
        for (var i = 0; i < count; i++)
        {
            t += -Math.Log(1 - rng.NextDouble()) * 250;
            fleet.AdvanceTo(t);
            long[] ids = [rng.Next(50), 1_000_000 + i];
            fleet.Servers[rng.Next(4)].Submit(new SimRequest($"r{i}", SimPrompt.FromHashIds(ids, 700 + rng.Next(600)), 50 + rng.Next(150)));
        }
        fleet.RunUntilIdle();
        Assert.Equal(count, finished);
        foreach (var s in fleet.Servers)
        {
            Assert.Equal(0, s.UsedBlocks);
            Assert.True(s.PrefixCacheHits > 0);
        }
    }
}
