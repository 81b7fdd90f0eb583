using InferenceMesh.Bench.Cli;
using InferenceMesh.Bench.Policies;

namespace InferenceMesh.Sim.Tests.Bench;

public sealed class CliTests
{
    [Theory]
    [InlineData("replay", "--trace", "/no/such/dir/trace.jsonl")]
    [InlineData("ceiling", "--trace", "/no/such/dir/trace.jsonl")]
    [InlineData("report", "/no/such/dir/results.json")]
    public void MissingFile_ExitsWith2(params string[] args) => Assert.Equal(2, BenchCli.Run(args));

    [Fact]
    public void Replay_UnknownPolicyOrWorkload_ExitsWith2()
    {
        Assert.Equal(2, BenchCli.Run(["replay", "--workload", "priority", "--policies", "nope"]));
        Assert.Equal(2, BenchCli.Run(["replay", "--workload", "nope"]));
        Assert.Equal(2, BenchCli.Run(["replay"]));
    }

    [Fact]
    public void Replay_GeneratedWorkload_WritesJson()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        try
        {
            Assert.Equal(0, BenchCli.Run(["replay", "--workload", "shared-prefix", "--requests", "20", "--servers", "2", "--policies", "random,least-request-scan", "--out", path, "--no-series"]));
            var r = InferenceMesh.Bench.Results.ResultsJson.Deserialize(File.ReadAllText(path));
            Assert.Equal(["random", "least-request-scan"], r.Results.Select(p => p.Policy));
            Assert.All(r.Results, p => Assert.Null(p.Series));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Registry_ListsTheBaselines()
    {
        var names = PolicyRegistry.List().Select(p => p.Name).ToList();
        foreach (var n in new[] { "random", "round-robin", "least-request", "greedy-perfect-info" })
        {
            Assert.Contains(n, names);
        }
    }
}
