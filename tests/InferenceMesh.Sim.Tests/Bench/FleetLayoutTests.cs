using InferenceMesh.Bench.Cli;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Replay;

namespace InferenceMesh.Sim.Tests.Bench;

public sealed class FleetLayoutTests
{
    [Fact]
    public void Parse_MixedFleet_KeepsIndexOrder()
    {
        var layout = FleetLayout.Parse("a10:2, h100:1 ,l20", maxModelLen: 65536);
        Assert.Equal(["a10", "a10", "h100", "l20"], layout.Servers.Select(s => s.Profile.Name));
        Assert.All(layout.Servers, s => Assert.Equal(65536, s.Profile.MaxModelLen));
        Assert.True(layout.IsMixed);
        Assert.Equal(VllmSim.SimProfile.H100.NumGpuBlocks, layout.MaxKvBlocks);
        Assert.Equal("a10:2,h100:1,l20", layout.Spec);
    }

    [Fact]
    public void SlowAndStall_ApplyToTheNamedServers_AndShowInTheDescription()
    {
        var layout = FleetLayout.Uniform(VllmSim.SimProfile.L20, 8).WithSlow("7:0.25").WithStalls("3:2000:500");
        Assert.Equal(0.25, layout.Servers[7].Speed);
        Assert.Equal((2000.0, 500.0), (layout.Servers[3].StallEveryMs, layout.Servers[3].StallMs));
        Assert.Equal(6, layout.Servers.Count(s => !s.IsSlowed));
        Assert.Equal("l20; server 3 stalls 500 ms every 2000 ms; server 7 at 0.25x speed", layout.Describe());
    }

    [Theory]
    [InlineData("a10:0")]
    [InlineData("a10:x")]
    [InlineData("b200:1")]
    [InlineData(",")]
    public void Parse_Bad_Throws(string spec) => Assert.Throws<FormatException>(() => FleetLayout.Parse(spec));

    [Theory]
    [InlineData("8:0.5")]
    [InlineData("1:0")]
    [InlineData("1:1.5")]
    [InlineData("1")]
    public void WithSlow_Bad_Throws(string spec) =>
        Assert.Throws<FormatException>(() => FleetLayout.Uniform(VllmSim.SimProfile.L20, 8).WithSlow(spec));

    [Fact]
    public void Replay_MixedFleetWithSlowServer_RunsAndDescribesTheFleet()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        try
        {
            Assert.Equal(0, BenchCli.Run(["replay", "--workload", "shared-prefix", "--requests", "30", "--fleet", "a10:1,h100:1", "--slow", "0:0.5",
                "--policies", "round-robin,oracle", "--out", path, "--no-series"]));
            var r = InferenceMesh.Bench.Results.ResultsJson.Deserialize(File.ReadAllText(path));
            Assert.Equal(2, r.Fleet.Servers);
            Assert.Equal("a10:1,h100:1; server 0 at 0.5x speed", r.Fleet.Profile);
            // The deprecated name still runs, under the new one.
            Assert.Equal(["round-robin", "greedy-perfect-info"], r.Results.Select(p => p.Policy));
            Assert.All(r.Results, p => Assert.Equal(30, p.Completed));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Replay_FleetOptionsOutsideVirtualMode_OrMalformed_ExitWith2()
    {
        Assert.Equal(2, BenchCli.Run(["replay", "--workload", "shared-prefix", "--fleet", "a10:1,l20:1", "--mode", "http"]));
        Assert.Equal(2, BenchCli.Run(["replay", "--workload", "shared-prefix", "--fleet", "a10:none"]));
        Assert.Equal(2, BenchCli.Run(["replay", "--workload", "shared-prefix", "--servers", "2", "--stall", "1:100:200"]));
    }

    [Fact]
    public void OldOracleName_IsAnAlias()
    {
        Assert.Equal(GreedyPerfectInfoPolicy.PolicyName, PolicyRegistry.Canonical("oracle", out var deprecated));
        Assert.True(deprecated);
        Assert.Equal("round-robin", PolicyRegistry.Canonical("round-robin", out deprecated));
        Assert.False(deprecated);
    }
}
