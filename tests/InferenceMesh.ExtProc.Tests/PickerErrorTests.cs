using System.Text;
using Grpc.Core;
using Google.Protobuf.WellKnownTypes;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using static InferenceMesh.ExtProc.Tests.EnvoyMessages;

namespace InferenceMesh.ExtProc.Tests;

public sealed class PickerErrorTests : IAsyncLifetime
{
    private ExtProcTestHost _host = null!;

    public async Task InitializeAsync() => _host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?>
    {
        ["ExtProc:MaxBodyBytes"] = "65536",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<ImmediateResponse> SendAndExpectImmediateAsync(byte[] body)
    {
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: false));
        try
        {
            await call.SendAllAsync(RequestBodyChunks(body, 16 * 1024));
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException)
        {
            // A rejection mid-body (413) ends the call while chunks are still going out; Envoy stops sending too.
        }
        var r = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ImmediateResponse, r.ResponseCase);
        return r.ImmediateResponse;
    }

    [Fact]
    public async Task Process_BodyWithoutModel_Returns400()
    {
        var r = await SendAndExpectImmediateAsync(Encoding.UTF8.GetBytes("""{"prompt":"hi"}"""));
        Assert.Equal(400, (int)r.Status.Code);
        Assert.Equal("inference error: BadRequest - model not found in request body", r.Body.ToStringUtf8());
        Assert.Empty(_host.Scheduler.Requests);
    }

    [Fact]
    public async Task Process_UnparseableBody_Returns400()
    {
        var r = await SendAndExpectImmediateAsync(Encoding.UTF8.GetBytes("""{"model": "x", "prompt": """));
        Assert.Equal(400, (int)r.Status.Code);
        Assert.Equal("inference error: BadRequest - invalid request body", r.Body.ToStringUtf8());
    }

    [Fact]
    public async Task Process_BodyOverTheLimit_Returns413WithoutScheduling()
    {
        var r = await SendAndExpectImmediateAsync(CompletionBody("qwen", 100_000));
        Assert.Equal(413, (int)r.Status.Code);
        Assert.StartsWith("inference error: PayloadTooLarge - ", r.Body.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Empty(_host.Scheduler.Requests);
    }

    [Theory]
    [InlineData(ScheduleOutcome.Shed, 429, "InferencePoolResourceExhausted")]
    [InlineData(ScheduleOutcome.QueueFull, 429, "ResourceExhausted")]
    [InlineData(ScheduleOutcome.NoCandidates, 503, "ServiceUnavailable")]
    [InlineData(ScheduleOutcome.Expired, 503, "ServiceUnavailable")]
    [InlineData(ScheduleOutcome.BadRequest, 400, "BadRequest")]
    public async Task Process_SchedulerRefuses_MapsOutcomeToStatus(ScheduleOutcome outcome, int status, string code)
    {
        _host.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Refused(outcome, status, "because"));
        var r = await SendAndExpectImmediateAsync(CompletionBody("qwen", 300));
        Assert.Equal(status, (int)r.Status.Code);
        Assert.Equal($"inference error: {code} - because", r.Body.ToStringUtf8());
    }

    [Fact]
    public async Task Process_SchedulerThrows_Returns503AndNeverForwards()
    {
        _host.Scheduler.Handler = (_, _) => throw new HttpRequestException("connection refused");
        var r = await SendAndExpectImmediateAsync(CompletionBody("qwen", 300));
        Assert.Equal(503, (int)r.Status.Code);
        Assert.Equal("inference error: ServiceUnavailable - scheduler unavailable", r.Body.ToStringUtf8());
    }

    [Fact]
    public async Task Process_EmptySubsetHint_Returns503()
    {
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: true, method: "GET", subset: Value.ForList()));
        var r = await call.NextAsync();
        Assert.Equal(503, (int)r.ImmediateResponse.Status.Code);
        Assert.Empty(_host.Scheduler.Requests);
    }
}
