using InferenceMesh.VllmSim;
using static InferenceMesh.Sim.Tests.Sim.SimTestKit;

namespace InferenceMesh.Sim.Tests.Sim;

public sealed class SlowdownTests
{
    private static SimRequest RunOne(SimServerOptions options)
    {
        var server = new SimServer(options);
        var r = new SimRequest("r", Text("slow", 1500), 50);
        server.Submit(r);
        server.RunUntilIdle();
        return r;
    }

    [Fact]
    public void HalfSpeed_DoublesEveryStep()
    {
        var full = RunOne(Options(SimProfile.A10));
        var half = RunOne(Options(SimProfile.A10) with { Speed = 0.5 });
        Assert.Equal(2 * full.TtftMs, half.TtftMs, 6);
        Assert.Equal(2 * full.FinishedMs, half.FinishedMs, 6);
    }

    [Fact]
    public void Stalls_DelayStepsThatFallInThem_AndThePredictionCountsBoth()
    {
        var plain = RunOne(Options(SimProfile.A10));
        var stalled = Options(SimProfile.A10) with { StallEveryMs = 400, StallMs = 200 };
        var r = RunOne(stalled);
        Assert.True(r.FinishedMs > plain.FinishedMs * 1.5, $"stalled {r.FinishedMs} vs {plain.FinishedMs}");

        var prompt = Text("p", 800);
        Assert.True(new SimServer(Options(SimProfile.A10) with { Speed = 0.25 }).PredictTtftMs(prompt)
            > 3.9 * new SimServer(Options(SimProfile.A10)).PredictTtftMs(prompt));
        Assert.True(new SimServer(stalled).PredictTtftMs(prompt) > 1.9 * new SimServer(Options(SimProfile.A10)).PredictTtftMs(prompt));
    }

    [Theory]
    [InlineData(0.0, 0, 0)]
    [InlineData(1.5, 0, 0)]
    [InlineData(1.0, 100, 100)]
    [InlineData(1.0, 0, 10)]
    public void BadSlowdown_FailsAtConstruction(double speed, double every, double stall) =>
        Assert.Throws<ArgumentException>(() => new SimServer(Options() with { Speed = speed, StallEveryMs = every, StallMs = stall }));
}
