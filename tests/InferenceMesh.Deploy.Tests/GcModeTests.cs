using System.Text.Json.Nodes;

namespace InferenceMesh.Deploy.Tests;

/// <summary>The services ship with server GC (the Web SDK's default: <c>System.GC.Server</c> in their runtimeconfig), and
/// the benchmark process that hosts ext-proc and the scheduler in process (probe-extproc, probe-prefix) must run them
/// under the same collector, or its figures are not the service's (docs/benchmarks/ext-proc.md: under workstation GC
/// the 50-stream rows measured the collector's pauses as much as the picker).</summary>
public sealed class GcModeTests
{
    public static TheoryData<string> Services() =>
        [.. Directory.GetDirectories(RepoPaths.Path("services")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Services))]
    public void Service_RunsServerGc(string service) =>
        Assert.True(ServerGc(RepoPaths.Path("services", service)), $"services/{service} does not run server GC");

    [Fact]
    public void BenchmarkProcess_RunsTheServicesGc() =>
        Assert.True(ServerGc(RepoPaths.Path("tests", "InferenceMesh.Benchmarks")),
            "tests/InferenceMesh.Benchmarks hosts ext-proc and the scheduler in process: it must run server GC as they do");

    /// <summary>System.GC.Server from the built project's runtimeconfig.json (the solution is built before the tests run).</summary>
    private static bool ServerGc(string projectDir)
    {
        var project = Path.GetFileNameWithoutExtension(Assert.Single(Directory.GetFiles(projectDir, "*.csproj")));
        var config = Path.Combine(projectDir, "bin", RepoPaths.Configuration, "net10.0", project + ".runtimeconfig.json");
        Assert.True(File.Exists(config), config + " is missing: build the solution first");
        var node = JsonNode.Parse(File.ReadAllText(config))?["runtimeOptions"]?["configProperties"]?["System.GC.Server"];
        return node?.GetValue<bool>() == true;
    }
}
