using InferenceMesh.VllmSim;
using InferenceMesh.VllmSim.Cli;

namespace InferenceMesh.Sim.Tests.Sim;

public sealed class CliTests
{
    [Fact]
    public void CommandLine_MapsVllmFlagsAndPhysicsOverrides()
    {
        var parse = SimCli.CreateRootCommand().Parse(
            "--servers 5 --port 8000 --profile h100 --time-scale 10 --model Qwen/Qwen2.5-7B-Instruct " +
            "--lora-modules travel-helper=/x sql-lora=/y --max-loras 2 --max-num-seqs 64 --num-gpu-blocks 5000 --prefill-ms-per-token 0.05");
        Assert.Empty(parse.Errors);
        var o = SimCli.ToHostOptions(parse);
        Assert.Equal(5, o.Servers);
        Assert.Equal(8000, o.Port);
        Assert.Equal(10, o.TimeScale);
        Assert.Equal("h100", o.Server.Profile.Name);
        Assert.Equal(64, o.Server.Profile.MaxNumSeqs);
        Assert.Equal(5000, o.Server.Profile.NumGpuBlocks);
        Assert.Equal(0.05, o.Server.Profile.PrefillMsPerToken);
        Assert.Equal(SimProfile.H100.StepBaseMs, o.Server.Profile.StepBaseMs);
        Assert.Equal(8192, o.Server.Profile.MaxNumBatchedTokens);
        Assert.Equal(2, o.Server.MaxLoras);
        Assert.Equal([new LoraModule("travel-helper", "/x"), new LoraModule("sql-lora", "/y")], o.Server.LoraModules);
    }

    [Fact]
    public void CommandLine_Defaults_AreOneL20ServerOnPort8000()
    {
        var o = SimCli.ToHostOptions(SimCli.CreateRootCommand().Parse(""));
        Assert.Equal(1, o.Servers);
        Assert.Equal(8000, o.Port);
        Assert.Equal(1, o.TimeScale);
        Assert.Equal(SimProfile.L20, o.Server.Profile);
    }

    [Theory]
    [InlineData("--profile t4", "unknown profile")]
    [InlineData("--time-scale 0", "TimeScale")]
    [InlineData("--servers 0", "Servers")]
    [InlineData("--lora-modules broken", "name=path")]
    [InlineData("--num-gpu-blocks 0", "NumGpuBlocks")]
    public void CommandLine_BadValues_FailNamingTheProblem(string args, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => SimCli.ToHostOptions(SimCli.CreateRootCommand().Parse(args)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
