using System.Text;
using Google.Protobuf.WellKnownTypes;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using static InferenceMesh.ExtProc.Tests.EnvoyMessages;

namespace InferenceMesh.ExtProc.Tests;

public sealed class PickerFullDuplexTests : IAsyncLifetime
{
    private ExtProcTestHost _host = null!;

    public async Task InitializeAsync() => _host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?>
    {
        ["ExtProc:Models:0:ModelName"] = "chat",
        ["ExtProc:Models:0:Criticality"] = "Critical",
        ["ExtProc:Models:0:TargetModels:0:Name"] = "qwen-lora-a",
        ["ExtProc:Models:0:TargetModels:0:Weight"] = "100",
        ["ExtProc:Models:1:ModelName"] = "batch",
        ["ExtProc:Models:1:Criticality"] = "Sheddable",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData(8 * 1024, 8 * 1024)]
    [InlineData(220 * 1024, 16 * 1024)]
    [InlineData(3000, 7)]
    public async Task Process_FullDuplexBody_AnswersHeadersThenRestreamsBodyInBoundedChunks(int promptChars, int envoyChunk)
    {
        _host.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled("10.1.2.3:8000"));
        var body = CompletionBody("qwen", promptChars);
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: false, contentLength: body.Length));
        await call.SendAllAsync(RequestBodyChunks(body, envoyChunk));

        var headers = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, headers.ResponseCase);
        var common = headers.RequestHeaders.Response;
        Assert.True(common.ClearRouteCache);
        Assert.Equal("10.1.2.3:8000", HeaderValue(common.HeaderMutation, HeaderNames.DestinationEndpoint));
        Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), HeaderValue(common.HeaderMutation, "content-length"));
        var lb = headers.DynamicMetadata.Fields[HeaderNames.EnvoyLbNamespace].StructValue;
        Assert.Equal("10.1.2.3:8000", lb.Fields[HeaderNames.DestinationEndpoint].StringValue);

        var (echoed, chunks, largest) = await call.ReadStreamedRequestBodyAsync();
        Assert.Equal(body, echoed);
        Assert.True(largest <= 62_000, $"chunk of {largest} bytes");
        Assert.Equal((body.Length + 61_999) / 62_000, chunks);

        var scheduled = Assert.Single(_host.Scheduler.Requests);
        Assert.Equal("qwen", scheduled.Model);
        // No InferenceModel names "qwen": scheduled (and prefix-indexed) under the bounded name.
        Assert.Equal(ModelResolver.OtherModel, scheduled.TargetModel);
        Assert.Equal(Criticality.Standard, scheduled.Criticality);
        Assert.Equal("req-1", scheduled.RequestId);
        Assert.Equal(HeaderNames.DefaultFairnessId, scheduled.FairnessId);
        Assert.Equal(body.Length, scheduled.PromptBytes);
        Assert.Equal(Math.Min(promptChars / 64, 256), scheduled.BlockHashes.Count);
    }

    [Fact]
    public async Task Process_SamePromptTwice_SendsSameBlockHashes()
    {
        var body = CompletionBody("qwen", 4096);
        for (var i = 0; i < 2; i++)
        {
            await using var call = ExtProcCall.Open(_host);
            await call.WriteAsync(RequestHeaders(endOfStream: false));
            await call.WriteAsync(RequestBody(body, true));
            await call.NextAsync();
            await call.ReadStreamedRequestBodyAsync();
        }
        var requests = _host.Scheduler.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(requests[0].BlockHashes, requests[1].BlockHashes);
        Assert.Equal(64, requests[0].BlockHashes.Count);
    }

    [Fact]
    public async Task Process_FullRoundTrip_RewritesModelRestoresItInSseAndReportsUsage()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"chat","messages":[{"role":"user","content":"hello there"}],"stream":true}""");
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: false, path: "/v1/chat/completions", extra: [("x-gateway-inference-fairness-id", "tenant-7"), ("x-slo-ttft-ms", "800")]));
        await call.WriteAsync(RequestBody(body, true));
        var headers = await call.NextAsync();
        Assert.Equal("10.0.0.1:8000", HeaderValue(headers.RequestHeaders.Response.HeaderMutation, HeaderNames.DestinationEndpoint));
        var (echoed, _, _) = await call.ReadStreamedRequestBodyAsync();
        Assert.Equal("""{"model":"qwen-lora-a","messages":[{"role":"user","content":"hello there"}],"stream":true}""", Encoding.UTF8.GetString(echoed));
        Assert.Equal(echoed.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), HeaderValue(headers.RequestHeaders.Response.HeaderMutation, "content-length"));
        var scheduled = Assert.Single(_host.Scheduler.Requests);
        Assert.Equal(Criticality.Critical, scheduled.Criticality);
        Assert.Equal("qwen-lora-a", scheduled.TargetModel);
        Assert.Equal("tenant-7", scheduled.FairnessId);
        Assert.Equal(800, scheduled.TtftSloMs);

        // Response: SSE split mid-event, the model restored, usage read from the last data line.
        await call.WriteAsync(ResponseHeaders(200, "text/event-stream"));
        var rh = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ResponseHeaders, rh.ResponseCase);
        Assert.Contains("content-length", rh.ResponseHeaders.Response.HeaderMutation.RemoveHeaders);
        var sse = "data: {\"id\":\"1\",\"model\":\"qwen-lora-a\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n"
            + "data: {\"id\":\"1\",\"model\":\"qwen-lora-a\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15,\"prompt_tokens_details\":{\"cached_tokens\":8}}}\n\n"
            + "data: [DONE]\n\n";
        var parts = new[] { sse[..30], sse[30..95], sse[95..] };
        var received = new StringBuilder();
        for (var i = 0; i < parts.Length; i++)
        {
            var last = i == parts.Length - 1;
            await call.WriteAsync(ResponseBody(parts[i], last));
        }
        while (true)
        {
            var r = await call.NextAsync();
            Assert.Equal(ProcessingResponse.ResponseOneofCase.ResponseBody, r.ResponseCase);
            var streamed = r.ResponseBody.Response.BodyMutation.StreamedResponse;
            Assert.NotNull(streamed);
            received.Append(streamed.Body.ToStringUtf8());
            if (streamed.EndOfStream)
                break;
        }
        Assert.Equal(sse.Replace("qwen-lora-a", "chat", StringComparison.Ordinal), received.ToString());
        await call.FinishAsync();

        await Poll.UntilAsync(() => !_host.Scheduler.Completions.IsEmpty, "completion");
        var completion = Assert.Single(_host.Scheduler.Completions);
        Assert.Equal("req-1", completion.RequestId);
        Assert.Equal("scheduler-a", completion.SchedulerReplica);
        Assert.Equal("10.0.0.1:8000", completion.Endpoint);
        Assert.Equal(200, completion.StatusCode);
        Assert.Equal(12, completion.PromptTokens);
        Assert.Equal(3, completion.CompletionTokens);
        // A streamed completion: its first body bytes are the first token, on the completion's clock.
        Assert.InRange(completion.FirstTokenAtUnixMs, 1, completion.CompletedAtUnixMs);
        // The server's prefix-cache hit, for the scheduler's capacity feedback.
        Assert.Equal(8, completion.CachedTokens);
    }

    [Fact]
    public async Task Process_JsonResponseWithoutRewrite_PassesChunksThroughAndReadsUsage()
    {
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: false));
        await call.WriteAsync(RequestBody(CompletionBody("qwen", 100), true));
        await call.NextAsync();
        await call.ReadStreamedRequestBodyAsync();
        await call.WriteAsync(ResponseHeaders(200, "application/json"));
        var rh = await call.NextAsync();
        Assert.Null(rh.ResponseHeaders.Response.HeaderMutation);
        await call.WriteAsync(ResponseBody("{\"model\":\"qwen\",\"usage\":{\"prompt_to", false));
        var first = await call.NextAsync();
        Assert.Equal("{\"model\":\"qwen\",\"usage\":{\"prompt_to", first.ResponseBody.Response.BodyMutation.StreamedResponse.Body.ToStringUtf8());
        await call.WriteAsync(ResponseBody("kens\":40,\"completion_tokens\":9}}", true));
        var second = await call.NextAsync();
        Assert.True(second.ResponseBody.Response.BodyMutation.StreamedResponse.EndOfStream);
        await call.FinishAsync();
        await Poll.UntilAsync(() => !_host.Scheduler.Completions.IsEmpty, "completion");
        var completion = Assert.Single(_host.Scheduler.Completions);
        Assert.Equal(40, completion.PromptTokens);
        Assert.Equal(9, completion.CompletionTokens);
        // A JSON body arrives when the whole completion is done: no first-token time to report.
        Assert.Equal(0, completion.FirstTokenAtUnixMs);
        // No prompt_tokens_details: the server did not say what it had cached.
        Assert.Null(completion.CachedTokens);
    }

    [Fact]
    public async Task Process_GetWithoutBody_GetsEndpointAtOnce()
    {
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: true, path: "/v1/models", method: "GET"));
        var r = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, r.ResponseCase);
        Assert.Equal("10.0.0.1:8000", HeaderValue(r.RequestHeaders.Response.HeaderMutation, HeaderNames.DestinationEndpoint));
        Assert.Empty(Assert.Single(_host.Scheduler.Requests).BlockHashes);
        await call.FinishAsync();
    }

    [Fact]
    public async Task Process_GetWithRewriteHeader_HasNoModelToRestoreInTheResponse()
    {
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: true, path: "/v1/models", method: "GET", extra: [("x-gateway-model-name-rewrite", "forced")]));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, (await call.NextAsync()).ResponseCase);
        await call.WriteAsync(ResponseHeaders(200, "application/json"));
        Assert.Null((await call.NextAsync()).ResponseHeaders.Response.HeaderMutation);
        await call.WriteAsync(ResponseBody("{\"data\":[{\"id\":\"forced\"}]}", true));
        Assert.Equal("{\"data\":[{\"id\":\"forced\"}]}", (await call.NextAsync()).ResponseBody.Response.BodyMutation.StreamedResponse.Body.ToStringUtf8());
        await call.FinishAsync();
    }

    [Fact]
    public async Task Process_MissingRequestId_GeneratesOneAndSetsIt()
    {
        await using var call = ExtProcCall.Open(_host);
        var headers = RequestHeaders(endOfStream: true, method: "GET");
        var rid = headers.RequestHeaders.Headers.Headers.First(h => h.Key == "x-request-id");
        headers.RequestHeaders.Headers.Headers.Remove(rid);
        await call.WriteAsync(headers);
        var r = await call.NextAsync();
        var id = HeaderValue(r.RequestHeaders.Response.HeaderMutation, HeaderNames.RequestId);
        Assert.True(Guid.TryParse(id, out _));
        Assert.Equal(id, Assert.Single(_host.Scheduler.Requests).RequestId);
    }

    [Fact]
    public async Task Process_WithTrailers_EndsRequestAtTrailersAndAnswersThemLast()
    {
        var body = CompletionBody("qwen", 200);
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: false));
        await call.WriteAsync(RequestBody(body, false));
        await call.WriteAsync(new ProcessingRequest { RequestTrailers = new HttpTrailers() });
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, (await call.NextAsync()).ResponseCase);
        var chunk = await call.NextAsync();
        Assert.False(chunk.RequestBody.Response.BodyMutation.StreamedResponse.EndOfStream);
        Assert.Equal(body, chunk.RequestBody.Response.BodyMutation.StreamedResponse.Body.ToByteArray());
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestTrailers, (await call.NextAsync()).ResponseCase);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Process_SubsetHint_IsPassedToTheScheduler(bool asList)
    {
        var hint = asList
            ? Value.ForList(Value.ForString("10.0.0.5:8000"), Value.ForString("10.0.0.6:8000"))
            : Value.ForString("10.0.0.5:8000, 10.0.0.6:8000");
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: true, method: "GET", subset: hint));
        await call.NextAsync();
        Assert.Equal(["10.0.0.5:8000", "10.0.0.6:8000"], Assert.Single(_host.Scheduler.Requests).Subset);
    }

    [Fact]
    public async Task Process_FallbacksEnabled_HeaderAndMetadataCarryTheSameList()
    {
        await using var host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:IncludeFallbacks"] = "true" });
        host.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled("10.0.0.1:8000", "10.0.0.2:8000"));
        await using var call = ExtProcCall.Open(host);
        await call.WriteAsync(RequestHeaders(endOfStream: true, method: "GET"));
        var r = await call.NextAsync();
        var header = HeaderValue(r.RequestHeaders.Response.HeaderMutation, HeaderNames.DestinationEndpoint);
        Assert.Equal("10.0.0.1:8000,10.0.0.2:8000", header);
        Assert.Equal(header, r.DynamicMetadata.Fields[HeaderNames.EnvoyLbNamespace].StructValue.Fields[HeaderNames.DestinationEndpoint].StringValue);
    }

    [Fact]
    public async Task Process_ClientResetsWhileQueued_CancelsTheScheduleCallAndReportsCompletion()
    {
        _host.Scheduler.BlockUntilCancelled();
        var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: false));
        await call.WriteAsync(RequestBody(CompletionBody("qwen", 500), true));
        await _host.Scheduler.ScheduleEntered.Task.WaitAsync(ExtProcCall.Patience);
        await call.DisposeAsync();

        await _host.Scheduler.ScheduleCancelled.Task.WaitAsync(ExtProcCall.Patience);
        await Poll.UntilAsync(() => !_host.Scheduler.Completions.IsEmpty, "completion after reset");
        var completion = Assert.Single(_host.Scheduler.Completions);
        Assert.Equal("req-1", completion.RequestId);
        Assert.Equal(499, completion.StatusCode);
    }

    [Fact]
    public async Task Process_ClientResetsAfterPick_ReportsCompletionToTheDispatchingReplica()
    {
        var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: false));
        await call.WriteAsync(RequestBody(CompletionBody("qwen", 500), true));
        await call.NextAsync();
        await call.ReadStreamedRequestBodyAsync();
        await call.DisposeAsync();
        await Poll.UntilAsync(() => !_host.Scheduler.Completions.IsEmpty, "completion after reset");
        var completion = Assert.Single(_host.Scheduler.Completions);
        Assert.Equal("scheduler-a", completion.SchedulerReplica);
        Assert.Equal(499, completion.StatusCode);
    }

    [Fact]
    public async Task Process_ManyConcurrentStreamsOnOneConnection_AllGetTheirOwnAnswer()
    {
        _host.Scheduler.Handler = (r, _) => Task.FromResult(FakeSchedulingService.Scheduled("10.9.0.1:" + r.RequestId));
        using var channel = H2cChannel.Create(_host.GrpcAddress, maxConnectionsPerServer: 1);
        var client = new ExternalProcessor.ExternalProcessorClient(channel);
        var tasks = new Task[150];
        for (var i = 0; i < tasks.Length; i++)
        {
            var id = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            tasks[i] = Task.Run(async () =>
            {
                await using var call = ExtProcCall.Open(client);
                var headers = RequestHeaders(endOfStream: false);
                headers.RequestHeaders.Headers.Headers.First(h => h.Key == "x-request-id").RawValue = Google.Protobuf.ByteString.CopyFromUtf8(id);
                await call.WriteAsync(headers);
                await call.WriteAsync(RequestBody(CompletionBody("qwen", 2048), true));
                var r = await call.NextAsync();
                Assert.Equal("10.9.0.1:" + id, HeaderValue(r.RequestHeaders.Response.HeaderMutation, HeaderNames.DestinationEndpoint));
                await call.ReadStreamedRequestBodyAsync();
                await call.FinishAsync();
            });
        }
        await Task.WhenAll(tasks);
        Assert.Equal(150, _host.Scheduler.Requests.Count);
    }
}
