using InferenceMesh.Contracts;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>OpenTelemetry listens to meters by name, process-wide: a collector host started by another test at the same
/// time adds its own series of the same instruments (an observable gauge's last value wins), so the tests that read
/// <c>/metrics</c> values run alone.</summary>
[CollectionDefinition(nameof(MetricsSerialGroup), DisableParallelization = true)]
public sealed class MetricsSerialGroup;

[Collection(nameof(MetricsSerialGroup))]
public sealed class CollectorMetricsTests
{
    [Fact]
    public async Task MalformedExposition_MakesTheEndpointUnhealthyWithTheParseError()
    {
        await using var server = await FakeModelServer.StartAsync();
        server.Body = "vllm:num_requests_waiting 1\nvllm:num_requests_running{oops 2\n";
        await using var host = await CollectorHost.StartAsync(CollectorHost.PoolYaml("qwen", server.Address));
        await Poll.UntilAsync(async () => (await host.EndpointAsync(server.Address))?.ConsecutiveFailures >= 2, "scrapes fail");
        var status = (await host.EndpointAsync(server.Address))!;
        Assert.Equal(EndpointHealth.Unhealthy, status.Health);
        Assert.Contains("line 2", status.LastError, StringComparison.Ordinal);
        var metrics = await host.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        // The parse series starts at 0 when the endpoint is added: the failures made it count.
        Assert.Matches(@"inferencemesh_collector_scrape_errors_total\{[^}]*reason=""parse""\} [1-9]", metrics);
        Assert.Contains("inferencemesh_collector_endpoints{state=\"Unhealthy\"} 1", metrics, StringComparison.Ordinal);

        server.StatusCode = 503;
        server.Body = Fixtures.Vllm(0, 0, 0);
        await Poll.UntilAsync(async () => (await host.EndpointAsync(server.Address))?.LastError?.Contains("HTTP 503", StringComparison.Ordinal) == true,
            "an error status is reported");
        server.StatusCode = 200;
        await Poll.UntilAsync(async () => (await host.EndpointAsync(server.Address))?.Health == EndpointHealth.Healthy, "recovered");
    }
}
