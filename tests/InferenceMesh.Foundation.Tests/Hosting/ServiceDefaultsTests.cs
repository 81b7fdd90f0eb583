using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using System.Net;
using InferenceMesh.Foundation.Tests.Support;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Foundation.Tests.Hosting;

public sealed class ServiceDefaultsTests
{
    [Fact]
    public async Task Start_WithAnInvalidOption_FailsNamingTheFullKey()
    {
        var builder = TestHost.CreateBuilder(new Dictionary<string, string?> { ["Scheduler:QueueThreshold"] = "-3" });
        builder.AddServiceDefaults("scheduler");
        builder.Services.AddValidatedOptions<FakeSchedulerOptions>("Scheduler");
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("Scheduler:QueueThreshold", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithValidOptions_BindsThem()
    {
        var builder = TestHost.CreateBuilder(new Dictionary<string, string?> { ["Scheduler:QueueThreshold"] = "7" });
        builder.AddServiceDefaults("scheduler");
        builder.Services.AddValidatedOptions<FakeSchedulerOptions>("Scheduler");
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await using var host = await TestHost.StartAsync(app);

        Assert.Equal(7, app.Services.GetRequiredService<IOptions<FakeSchedulerOptions>>().Value.QueueThreshold);
    }

    [Fact]
    public async Task InvalidServiceSection_FailsAtStartNamingTheKey()
    {
        var builder = TestHost.CreateBuilder(new Dictionary<string, string?> { ["Service:ShutdownTimeoutSeconds"] = "0" });
        builder.AddServiceDefaults("scheduler");

        // The shutdown window is read while the host is built, so the failure comes at Build, before anything listens.
        var error = await Record.ExceptionAsync(async () =>
        {
            await using var app = builder.Build();
            await app.StartAsync();
        });

        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains("Service:ShutdownTimeoutSeconds", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthAndMetricsEndpoints_Answer()
    {
        var meterName = "InferenceMesh.HostTest" + Guid.NewGuid().ToString("N");
        using var meter = new Meter(meterName);
        var builder = TestHost.CreateBuilder();
        builder.AddServiceDefaults("prefix-index");
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await using var host = await TestHost.StartAsync(app);
        meter.CreateCounter<long>(meterName.ToLowerInvariant() + ".hits", description: "Hits.").Add(4);

        var live = await host.Client.GetAsync(new Uri("/healthz/live", UriKind.Relative));
        var ready = await host.Client.GetAsync(new Uri("/healthz/ready", UriKind.Relative));
        var metrics = await host.Client.GetAsync(new Uri("/metrics", UriKind.Relative));
        var text = await metrics.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        var name = meterName.ToLowerInvariant().Replace('.', '_') + "_hits_total";
        Assert.Contains($"# TYPE {name} counter\n", text, StringComparison.Ordinal);
        Assert.Contains($"\n{name}{{}} 4", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MeterPrefix_KeepsAHostSharingTheProcessToItsOwnMeters()
    {
        var id = Guid.NewGuid().ToString("N");
        using var mine = new Meter("InferenceMesh.Mine" + id);
        using var other = new Meter("InferenceMesh.Other" + id);
        var builder = TestHost.CreateBuilder(new Dictionary<string, string?> { ["Service:MeterPrefix"] = mine.Name });
        builder.AddServiceDefaults("scheduler");
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await using var host = await TestHost.StartAsync(app);
        mine.CreateCounter<long>($"mine{id}.hits").Add(1);
        other.CreateCounter<long>($"other{id}.hits").Add(1);

        var text = await host.Client.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        Assert.Contains($"mine{id}_hits_total", text, StringComparison.Ordinal);
        Assert.DoesNotContain($"other{id}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_GoesDown_WhenShutdownBegins()
    {
        var builder = TestHost.CreateBuilder();
        builder.AddServiceDefaults("ext-proc");
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await using var host = await TestHost.StartAsync(app);
        var check = app.Services.GetRequiredService<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService>();

        var before = await check.CheckHealthAsync(c => c.Tags.Contains(ServiceDefaultsExtensions.ReadyTag));
        app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var after = await check.CheckHealthAsync(c => c.Tags.Contains(ServiceDefaultsExtensions.ReadyTag));

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, before.Status);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, after.Status);
    }

    [Fact]
    public void ShutdownTimeout_ComesFromTheServiceSection()
    {
        var builder = TestHost.CreateBuilder(new Dictionary<string, string?> { ["Service:ShutdownTimeoutSeconds"] = "45" });
        builder.AddServiceDefaults("scheduler");
        using var app = builder.Build();

        Assert.Equal(TimeSpan.FromSeconds(45), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public async Task OtlpEndpointSet_ExportsTracesAndMetrics_FlushedAtShutdown()
    {
        var received = new System.Collections.Concurrent.ConcurrentBag<(string Path, string ContentType, byte[] Body)>();
        var collectorBuilder = TestHost.CreateBuilder();
        var collectorApp = collectorBuilder.Build();
        collectorApp.MapPost("/{**signal}", async (Microsoft.AspNetCore.Http.HttpContext c) =>
        {
            using var body = new MemoryStream();
            await c.Request.Body.CopyToAsync(body);
            received.Add((c.Request.Path.Value!, c.Request.ContentType ?? "", body.ToArray()));
            return Microsoft.AspNetCore.Http.Results.Ok();
        });
        await using var collector = await TestHost.StartAsync(collectorApp);
        var meterName = "InferenceMesh.OtelTest" + Guid.NewGuid().ToString("N");
        using var meter = new Meter(meterName);
        var builder = TestHost.CreateBuilder(new Dictionary<string, string?>
        {
            [TelemetryNames.OtlpEndpointVariable] = collector.Address.ToString(),
            // Read by the OTLP exporter itself (see TelemetryNames.OtlpEndpointVariable), not by our code.
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        builder.AddServiceDefaults("scheduler");
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await using (var host = await TestHost.StartAsync(app))
        {
            meter.CreateCounter<long>("inferencemesh.oteltest.requests").Add(3);
            var live = await host.Client.GetAsync(new Uri("/healthz/live", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        await Poll.UntilAsync(() => received.Any(r => r.Path == "/v1/traces") && received.Any(r => r.Path == "/v1/metrics"), "OTLP exports");
        var traces = received.First(r => r.Path == "/v1/traces");
        var metrics = received.Where(r => r.Path == "/v1/metrics").SelectMany(r => r.Body).ToArray();
        Assert.Equal("application/x-protobuf", traces.ContentType);
        // Protobuf keeps strings as UTF-8: the resource's service.name and our instrument's name are in the payloads.
        Assert.Contains("scheduler", System.Text.Encoding.UTF8.GetString(traces.Body), StringComparison.Ordinal);
        Assert.Contains("inferencemesh.oteltest.requests", System.Text.Encoding.UTF8.GetString(metrics), StringComparison.Ordinal);
    }

    public sealed record FakeSchedulerOptions
    {
        [Range(0, 1000)]
        public int QueueThreshold { get; set; } = 5;
    }
}
