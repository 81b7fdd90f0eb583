using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using static InferenceMesh.ExtProc.Tests.EnvoyMessages;
using static InferenceMesh.ExtProc.Tests.GrpcFrames;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>The gRPC surface ext-proc gets from Grpc.AspNetCore, checked where Envoy and kubelet depend on it:
/// health services and statuses, message framing across and within DATA frames, unknown methods, deadlines.</summary>
public sealed class GrpcProtocolTests : IAsyncLifetime
{
    private const string CheckPath = "/grpc.health.v1.Health/Check";
    private const string ProcessPath = "/envoy.service.ext_proc.v3.ExternalProcessor/Process";
    private ExtProcTestHost _host = null!;

    public async Task InitializeAsync() => _host = await ExtProcTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Health.HealthClient HealthClient => new(_host.Channel);

    [Theory]
    [InlineData("")]
    [InlineData("liveness")]
    [InlineData("readiness")]
    [InlineData("envoy.service.ext_proc.v3.ExternalProcessor")]
    public async Task HealthCheck_KnownService_IsServing(string service)
    {
        var r = await HealthClient.CheckAsync(new HealthCheckRequest { Service = service });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, r.Status);
    }

    [Fact]
    public async Task HealthCheck_UnknownService_IsNotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await HealthClient.CheckAsync(new HealthCheckRequest { Service = "nope" }));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task HealthCheck_ReadinessFollowsTheReadyChecks_LivenessDoesNot()
    {
        var gate = new ToggleHealthCheck();
        await using var host = await ExtProcTestHost.StartAsync(services: s => s.AddHealthChecks()
            .AddCheck("toggle", gate, tags: [InferenceMesh.ServiceDefaults.ServiceDefaultsExtensions.ReadyTag]));
        var client = new Health.HealthClient(host.Channel);
        gate.Healthy = false;
        foreach (var service in new[] { "readiness", "envoy.service.ext_proc.v3.ExternalProcessor" })
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, (await client.CheckAsync(new HealthCheckRequest { Service = service })).Status);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await client.CheckAsync(new HealthCheckRequest { Service = "liveness" })).Status);
        gate.Healthy = true;
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await client.CheckAsync(new HealthCheckRequest { Service = "readiness" })).Status);
    }

    [Fact]
    public async Task HealthWatch_SendsCurrentStatusFirst()
    {
        using var cts = new CancellationTokenSource(ExtProcCall.Patience);
        using var call = HealthClient.Watch(new HealthCheckRequest { Service = "liveness" }, cancellationToken: cts.Token);
        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, call.ResponseStream.Current.Status);
    }

    [Fact]
    public async Task Unary_MessageSplitAcrossFrames_IsReassembled()
    {
        var bytes = Frame(new HealthCheckRequest { Service = "liveness" });
        var segments = bytes.Select(b => new[] { b }).ToList();
        var r = await RawH2c.SendAsync(_host.GrpcAddress, CheckPath, segments);
        Assert.Equal("0", r.GrpcStatus);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, Assert.Single(ReadAll(r.Body, HealthCheckResponse.Parser)).Status);
    }

    [Fact]
    public async Task Duplex_SeveralMessagesInOneFrame_AreAllProcessed()
    {
        var body = CompletionBody("qwen", 300);
        var merged = Frame(RequestHeaders(endOfStream: false)).Concat(Frame(RequestBody(body.AsSpan(0, 100), false)))
            .Concat(Frame(RequestBody(body.AsSpan(100), true))).ToArray();
        var r = await RawH2c.SendAsync(_host.GrpcAddress, ProcessPath, [merged]);
        Assert.Equal("0", r.GrpcStatus);
        var responses = ReadAll(r.Body, ProcessingResponse.Parser);
        Assert.Equal(2, responses.Count);
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, responses[0].ResponseCase);
        Assert.Equal(body, responses[1].RequestBody.Response.BodyMutation.StreamedResponse.Body.ToByteArray());
    }

    [Fact]
    public async Task TruncatedMessage_FailsTheCall()
    {
        var bytes = Frame(new HealthCheckRequest { Service = "liveness" });
        var r = await RawH2c.SendAsync(_host.GrpcAddress, CheckPath, [bytes[..^2]]);
        Assert.NotNull(r.GrpcStatus);
        Assert.NotEqual("0", r.GrpcStatus);
    }

    [Fact]
    public async Task UnknownMethod_IsUnimplemented()
    {
        var r = await RawH2c.SendAsync(_host.GrpcAddress, "/some.Service/Nope", [Frame(new HealthCheckRequest())]);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal("12", r.GrpcStatus);
    }

    [Fact]
    public async Task NonGrpcContentType_Gets415()
    {
        var r = await RawH2c.SendAsync(_host.GrpcAddress, CheckPath, [[1, 2, 3]], contentType: "application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.Status);
    }

    [Fact]
    public async Task BodyMessageOverFourMegabytes_IsAccepted()
    {
        // The default 4 MB receive limit is raised with ExtProc:MaxBodyBytes (16 MiB by default): BUFFERED sends the whole body at once.
        var body = CompletionBody("qwen", 5 * 1024 * 1024);
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: false));
        await call.WriteAsync(RequestBody(body, true));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, (await call.NextAsync()).ResponseCase);
        var (echoed, _, _) = await call.ReadStreamedRequestBodyAsync();
        Assert.Equal(body.Length, echoed.Length);
    }

    [Fact]
    public async Task Deadline_WhileSchedulerWaits_EndsWithDeadlineExceededAndCancelsScheduling()
    {
        _host.Scheduler.BlockUntilCancelled();
        await using (var call = ExtProcCall.Open(_host.Client, DateTime.UtcNow.AddSeconds(2)))
        {
            await call.WriteAsync(RequestHeaders(endOfStream: true, method: "GET"));
            var ex = await Assert.ThrowsAsync<RpcException>(call.ReadAsync);
            Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        }
        if (_host.Scheduler.ScheduleEntered.Task.IsCompleted)
            await _host.Scheduler.ScheduleCancelled.Task.WaitAsync(ExtProcCall.Patience);
    }

    [Fact]
    public async Task HttpPort_ServesHealthOverHttp1()
    {
        using var client = new HttpClient();
        var r = await client.GetAsync(new Uri(_host.HttpAddress, "/healthz/live"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.NotEqual(_host.Listeners.GrpcPort, _host.Listeners.HttpPort);
    }

    private sealed class ToggleHealthCheck : Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
    {
        public volatile bool Healthy = true;

        public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(
            Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(Healthy
                ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
                : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("toggled off"));
    }
}
