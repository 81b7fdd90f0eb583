using InferenceMesh.VllmSim;
using static InferenceMesh.Sim.Tests.Sim.SimTestKit;

namespace InferenceMesh.Sim.Tests.Sim;

public sealed class LoraTests
{
    [Fact]
    public void AdaptersBeyondMaxLoras_Wait_WhileOtherAdaptersRun()
    {
        var server = Server(maxLoras: 1, loras: ["travel-helper", "sql-lora"]);
        var a = Request("a", Text("a", 200), 50, "travel-helper");
        var b = Request("b", Text("b", 200), 5, "sql-lora");
        var baseModel = Request("base", Text("base", 200), 5);
        server.Submit(a);
        server.Submit(b);
        server.Submit(baseModel);
        server.AdvanceTo(1);

        Assert.Equal(SimRequestState.Running, a.State);
        Assert.Equal(SimRequestState.Waiting, b.State);
        Assert.Equal(SimRequestState.Running, baseModel.State);   // the base model needs no slot
        Assert.Equal(["travel-helper"], server.RunningLoraAdapters());
        Assert.Equal(["sql-lora"], server.WaitingLoraAdapters());
        Assert.Equal(1, server.NumWaiting);

        server.RunUntilIdle();
        Assert.True(b.FirstScheduledMs >= a.FinishedMs, "sql-lora should start only after travel-helper's request left the batch");
        Assert.Equal(2, server.LoraLoads);
        Assert.Equal(1, server.LoraUnloads);
        Assert.Equal(["sql-lora"], server.LoadedLoraAdapters);
        Assert.Contains(server.LoraInfoSamples, s => s.RunningAdapters == "travel-helper" && s.WaitingAdapters == "sql-lora");
        Assert.Contains(server.LoraInfoSamples, s => s.RunningAdapters == "sql-lora" && s.WaitingAdapters.Length == 0);
    }

    [Fact]
    public void AdaptersWithinMaxLoras_RunTogether()
    {
        var server = Server(maxLoras: 2, loras: ["x", "y"]);
        var x = Request("x", Text("x", 200), 20, "x");
        var y = Request("y", Text("y", 200), 20, "y");
        server.Submit(x);
        server.Submit(y);
        server.AdvanceTo(1);
        Assert.Equal(2, server.NumRunning);
        Assert.Equal(2, server.RunningLoraAdapters().Count);
        server.RunUntilIdle();
        Assert.Equal(x.FirstTokenMs, y.FirstTokenMs);
    }

    [Fact]
    public void LoadingAnAdapter_CostsTime_OnlyTheFirstTime()
    {
        var server = Server(SimProfile.L20 with { LoraLoadMs = 50 }, maxLoras: 1, loras: ["x"]);
        var prompt = Text("p", 200);
        var cold = Request("cold", prompt, 1, "x");
        server.Submit(cold);
        server.RunUntilIdle();
        var other = Request("other", Text("q", 200), 1, "x");
        server.Submit(other);
        server.RunUntilIdle();
        Assert.Equal(50, cold.TtftMs - other.TtftMs, 6);
        Assert.Equal(1, server.LoraLoads);
    }

    [Fact]
    public void PrefixCache_IsSeparatePerAdapter()
    {
        var server = Server(maxLoras: 1, loras: ["x"]);
        var prompt = Text("shared", 500);
        server.Submit(Request("base", prompt, 1));
        server.RunUntilIdle();
        var viaAdapter = Request("lora", prompt, 1, "x");
        server.Submit(viaAdapter);
        server.RunUntilIdle();
        Assert.Equal(0, viaAdapter.CachedTokens);
        Assert.Equal(496, server.CachedPrefixTokens(prompt));
        Assert.Equal(496, server.CachedPrefixTokens(prompt, "x"));
    }

    [Fact]
    public void UnknownAdapter_IsRejected()
    {
        var server = Server(maxLoras: 1, loras: ["x"]);
        Assert.Equal("The model `nope` does not exist.", server.Validate(Request("r", Text("r", 10), 1, "nope")));
    }
}
