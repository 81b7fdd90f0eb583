using System.Net;
using InferenceMesh.Foundation.Tests.Support;

namespace InferenceMesh.Foundation.Tests.Hosting;

/// <summary>Each of the four services starts from its build output like <c>dotnet run</c>, answers health and metrics,
/// stops gracefully on SIGTERM, and refuses to start with an invalid option, naming the key.</summary>
public sealed class ServiceStartTests
{
    public static TheoryData<string, string> Services() => new()
    {
        { "metrics-collector", "InferenceMesh.MetricsCollector" },
        { "prefix-index", "InferenceMesh.PrefixIndex" },
        { "scheduler", "InferenceMesh.Scheduler" },
        { "ext-proc", "InferenceMesh.ExtProc" },
    };

    private static readonly Dictionary<string, string> Development = new() { ["DOTNET_ENVIRONMENT"] = "Development" };
    private static readonly string[] Urls = ["--urls", "http://127.0.0.1:0"];

    private static string[] CommonArgs(string dir)
    {
        var pool = RepoPaths.Path("deploy", "local", "pool.yaml");
        return dir switch
        {
            // The collector reads the local pool file; ext-proc binds its own listeners (HTTP + gRPC), so both go to port 0.
            "metrics-collector" => [$"--Collector:Discovery=File", $"--Collector:PoolFile={pool}"],
            "ext-proc" => ["--ExtProc:HttpPort=0", "--ExtProc:GrpcPort=0", "--ExtProc:HealthPort=0", "--ExtProc:MetricsPort=0", "--ExtProc:ListenAddress=127.0.0.1"],
            _ => [],
        };
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Service_Starts_AnswersLiveAndMetrics_AndStopsGracefullyOnSigterm(string dir, string assembly)
    {
        await using var service = ServiceProcess.Start(dir, dir, assembly, Development, [.. Urls, .. CommonArgs(dir)]);
        var address = await service.WaitListeningAsync();
        using var http = new HttpClient { BaseAddress = address };

        var live = await http.GetAsync(new Uri("/healthz/live", UriKind.Relative));
        var metrics = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        service.Terminate();
        var exit = await service.WaitExitAsync();

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.True(exit == 0, $"exit code {exit}:\n{service.Output}");
        Assert.Contains($"{dir} replica", service.Output, StringComparison.Ordinal);
        Assert.Contains("stopped", service.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Service_WithAnInvalidOption_FailsFastNamingTheKey(string dir, string assembly)
    {
        await using var service = ServiceProcess.Start(dir, dir, assembly, Development, [.. Urls, .. CommonArgs(dir), "--Service:ShutdownTimeoutSeconds=0"]);

        var exit = await service.WaitExitAsync();

        Assert.NotEqual(0, exit);
        Assert.Contains("Service:ShutdownTimeoutSeconds", service.Output, StringComparison.Ordinal);
    }
}
