using System.Globalization;
using InferenceMesh.Bench.Cli;
using InferenceMesh.Bench.Results;

namespace InferenceMesh.Sim.Tests.Bench;

/// <summary><c>bench replay --requests-out FILE</c>: one row per request and policy, with the times in order.</summary>
public sealed class RequestsOutTests
{
    private static string[][] Rows(string path) =>
        File.ReadAllLines(path).Skip(1).Select(l => l.Split('\t')).ToArray();

    private static double Ms(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void Replay_RequestsOut_WritesEveryRequestOfEveryPolicy_TimesInOrder_AndARerunReplacesTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bench-rows-{Guid.NewGuid():N}.tsv");
        string[] args = ["replay", "--workload", "priority", "--requests", "40", "--servers", "2", "--profile", "a10",
            "--policies", "round-robin,mesh-default", "--no-series", "--requests-out", path];
        try
        {
            Assert.Equal(0, BenchCli.Run(args));
            Assert.Equal(RequestsTsv.Header, File.ReadLines(path).First());
            var rows = Rows(path);
            var byPolicy = rows.GroupBy(r => r[0]).ToDictionary(g => g.Key, g => g.Select(r => r[1]).ToHashSet());
            Assert.Equal(["round-robin", "mesh-default"], byPolicy.Keys);
            Assert.Equal(40, byPolicy["round-robin"].Count);
            Assert.Equal(byPolicy["round-robin"], byPolicy["mesh-default"]);
            foreach (var r in rows.Where(r => r[9] == "200"))
            {
                Assert.True(int.Parse(r[8], CultureInfo.InvariantCulture) >= 0, "a served request names its server");
                var (arrival, dispatched, first, finished) = (Ms(r[10]), Ms(r[11]), Ms(r[12]), Ms(r[13]));
                Assert.True(arrival <= dispatched && dispatched <= first && first <= finished, string.Join(' ', r));
            }

            // The mesh policy queues under this load: some request left the picker's queue after it arrived.
            Assert.Contains(rows, r => r[0] == "mesh-default" && r[9] == "200" && Ms(r[11]) > Ms(r[10]));

            Assert.Equal(0, BenchCli.Run(args));
            Assert.Equal(rows.Length, Rows(path).Length);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
