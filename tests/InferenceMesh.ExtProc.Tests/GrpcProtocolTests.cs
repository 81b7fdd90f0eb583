using System.Buffers;
using System.Net;
using Google.Protobuf;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.Grpc.Health.V1;
using static InferenceMesh.ExtProc.Tests.EnvoyMessages;

namespace InferenceMesh.ExtProc.Tests;

public sealed class GrpcProtocolTests : IAsyncLifetime
{
    private const string CheckPath = "/grpc.health.v1.Health/Check";
    private ExtProcTestHost _host = null!;

    public async Task InitializeAsync() => _host = await ExtProcTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static byte[] Frame(IMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        GrpcFraming.WriteMessage(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }

    private static List<HealthCheckResponse> ReadAll(byte[] body)
    {
        var result = new List<HealthCheckResponse>();
        var seq = new ReadOnlySequence<byte>(body);
        while (GrpcFraming.TryReadMessage(ref seq, 1 << 20, out var m))
            result.Add(HealthCheckResponse.Parser.ParseFrom(m));
        Assert.Equal(0, seq.Length);
        return result;
    }

    [Theory]
    [InlineData("")]
    [InlineData("liveness")]
    [InlineData("readiness")]
    [InlineData("envoy.service.ext_proc.v3.ExternalProcessor")]
    public async Task HealthCheck_KnownService_IsServing(string service)
    {
        var r = await GrpcClientFactory.UnaryAsync(_host.Invoker, _host.GrpcAddress, CheckPath,
            new HealthCheckRequest { Service = service }, HealthCheckResponse.Parser);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, r.Status);
    }

    [Fact]
    public async Task HealthCheck_UnknownService_IsNotFoundTrailersOnly()
    {
        var r = await RawH2c.SendAsync(_host.GrpcAddress, CheckPath, [Frame(new HealthCheckRequest { Service = "nope" })]);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal("5", r.Header("grpc-status"));
        Assert.Empty(r.Body);
    }

    [Fact]
    public async Task HealthWatch_SendsCurrentStatusFirst()
    {
        var call = GrpcClientFactory.StartDuplex<HealthCheckRequest, HealthCheckResponse>(
            _host.Invoker, _host.GrpcAddress, "/grpc.health.v1.Health/Watch", HealthCheckResponse.Parser);
        await using (call)
        {
            await call.WriteAsync(new HealthCheckRequest { Service = "liveness" });
            call.CompleteRequest();
            using var cts = new CancellationTokenSource(ExtProcCall.Patience);
            var first = await call.ReadAsync(cts.Token);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, first!.Status);
        }
    }

    [Fact]
    public async Task Unary_MessageSplitAcrossFrames_IsReassembled()
    {
        var bytes = Frame(new HealthCheckRequest { Service = "liveness" });
        var segments = bytes.Select(b => new[] { b }).ToList();
        var r = await RawH2c.SendAsync(_host.GrpcAddress, CheckPath, segments);
        Assert.Equal("0", r.GrpcStatus);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, Assert.Single(ReadAll(r.Body)).Status);
    }

    [Fact]
    public async Task Duplex_SeveralMessagesInOneFrame_AreAllProcessed()
    {
        var body = CompletionBody("qwen", 300);
        var merged = Frame(RequestHeaders(endOfStream: false)).Concat(Frame(RequestBody(body.AsSpan(0, 100), false)))
            .Concat(Frame(RequestBody(body.AsSpan(100), true))).ToArray();
        var r = await RawH2c.SendAsync(_host.GrpcAddress, "/envoy.service.ext_proc.v3.ExternalProcessor/Process", [merged]);
        Assert.Equal("0", r.GrpcStatus);
        var seq = new ReadOnlySequence<byte>(r.Body);
        var responses = new List<ProcessingResponse>();
        while (GrpcFraming.TryReadMessage(ref seq, 1 << 20, out var m))
            responses.Add(ProcessingResponse.Parser.ParseFrom(m));
        Assert.Equal(2, responses.Count);
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, responses[0].ResponseCase);
        Assert.Equal(body, responses[1].RequestBody.Response.BodyMutation.StreamedResponse.Body.ToByteArray());
    }

    [Fact]
    public async Task CompressedMessage_IsRejectedWithUnimplemented()
    {
        var bytes = Frame(new HealthCheckRequest { Service = "liveness" });
        bytes[0] = 1;
        var r = await RawH2c.SendAsync(_host.GrpcAddress, CheckPath, [bytes]);
        Assert.Equal("12", r.GrpcStatus);
    }

    [Fact]
    public async Task TruncatedMessage_IsInternalError()
    {
        var bytes = Frame(new HealthCheckRequest { Service = "liveness" });
        var r = await RawH2c.SendAsync(_host.GrpcAddress, CheckPath, [bytes[..^2]]);
        Assert.Equal("13", r.GrpcStatus);
    }

    [Fact]
    public async Task UnknownMethod_IsUnimplementedTrailersOnly()
    {
        var r = await RawH2c.SendAsync(_host.GrpcAddress, "/some.Service/Nope", [Frame(new HealthCheckRequest())]);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal("12", r.Header("grpc-status"));
        Assert.Equal("method /some.Service/Nope is not implemented", r.Header("grpc-message"));
    }

    [Fact]
    public async Task NonGrpcContentType_Gets415()
    {
        var r = await RawH2c.SendAsync(_host.GrpcAddress, CheckPath, [[1, 2, 3]], contentType: "application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.Status);
    }

    [Fact]
    public async Task MalformedTimeout_IsInvalidArgument()
    {
        var r = await RawH2c.SendAsync(_host.GrpcAddress, CheckPath, [Frame(new HealthCheckRequest())], headers: [("grpc-timeout", "123456789S")]);
        Assert.Equal("3", r.GrpcStatus);
    }

    [Fact]
    public async Task Deadline_WhileSchedulerWaits_EndsWithDeadlineExceededAndCancelsScheduling()
    {
        _host.Scheduler.BlockUntilCancelled();
        var call = GrpcClientFactory.StartDuplex<ProcessingRequest, ProcessingResponse>(_host.Invoker, _host.GrpcAddress,
            "/envoy.service.ext_proc.v3.ExternalProcessor/Process", ProcessingResponse.Parser, timeout: TimeSpan.FromSeconds(2));
        await using (call)
        {
            await call.WriteAsync(RequestHeaders(endOfStream: true, method: "GET"));
            var ex = await Assert.ThrowsAsync<GrpcException>(async () => await call.ReadAsync());
            Assert.Equal(GrpcStatusCode.DeadlineExceeded, ex.Status);
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
}
